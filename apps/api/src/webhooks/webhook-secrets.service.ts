import { Inject, Injectable } from '@nestjs/common';
import { KEYRING } from '@proco/config';
import { type Keyring, rewrapSecret, type SealedSecret, sealSecret } from '@proco/keys';
import { AuditLogRepository, PrismaService } from '@proco/persistence';
import { WEBHOOK_SECRET_PURPOSE } from '@proco/webhooks';

/** Endpoints re-wrapped per master-key rotation run; an org has at most a few dozen. */
export const WEBHOOK_SECRETS_REWRAP_MAX = 10_000;

export interface RewrapWebhookSecretsResult {
  readonly rewrapped: number;
  /** Endpoints with a secret under a master key this keyring does not hold (left as they are). */
  readonly skipped: readonly { readonly endpointId: string; readonly kekId: string }[];
  readonly activeKekId: string;
}

/**
 * Custody of endpoint signing secrets: sealed with `@proco/keys` before they are stored, bound to
 * the org and the endpoint id (a ciphertext copied to another endpoint does not open), and
 * re-wrapped by `rotate-master-key`. Only the worker opens them, to sign deliveries.
 */
@Injectable()
export class WebhookSecretsService {
  constructor(
    private readonly prisma: PrismaService,
    private readonly audit: AuditLogRepository,
    @Inject(KEYRING) private readonly keyring: Keyring,
  ) {}

  seal(params: { orgId: string; endpointId: string; secret: string }): SealedSecret {
    const plaintext = Buffer.from(params.secret, 'utf8');
    try {
      return sealSecret({
        keyring: this.keyring,
        purpose: WEBHOOK_SECRET_PURPOSE,
        scope: { orgId: params.orgId, id: params.endpointId },
        plaintext,
      });
    } finally {
      plaintext.fill(0);
    }
  }

  /**
   * Re-wraps the data keys of every endpoint secret (and previous secret) not under the active
   * master key: the webhook part of `rotate-master-key`. Each row is updated only if it still has
   * the key it was read with, so a rotation racing this run is never overwritten.
   */
  async rotateMasterKey(): Promise<RewrapWebhookSecretsResult> {
    const activeKekId = this.keyring.activeKekId;
    const known = new Set(this.keyring.kekIds);
    const rows = await this.prisma.webhookEndpoint.findMany({
      where: { OR: [{ secretKekId: { not: activeKekId } }, { previousSecretKekId: { not: activeKekId } }] },
      orderBy: { id: 'asc' },
      take: WEBHOOK_SECRETS_REWRAP_MAX,
    });
    const skipped: { endpointId: string; kekId: string }[] = [];
    let rewrapped = 0;
    for (const row of rows) {
      const unknown = [row.secretKekId, row.previousSecretKekId].find(
        (kekId) => kekId !== null && !known.has(kekId),
      );
      if (unknown !== undefined && unknown !== null) {
        skipped.push({ endpointId: row.id, kekId: unknown });
        continue;
      }
      const scope = { orgId: row.orgId, id: row.id };
      const rewrap = (dataKeyCiphertext: Uint8Array, kekId: string) =>
        rewrapSecret({
          keyring: this.keyring,
          purpose: WEBHOOK_SECRET_PURPOSE,
          scope,
          sealed: { dataKeyCiphertext: Uint8Array.from(dataKeyCiphertext), kekId },
        });
      const current = rewrap(row.secretDataKeyCiphertext, row.secretKekId);
      const previous =
        row.previousSecretDataKeyCiphertext === null || row.previousSecretKekId === null
          ? null
          : rewrap(row.previousSecretDataKeyCiphertext, row.previousSecretKekId);
      rewrapped += await this.prisma.$transaction(async (tx) => {
        const result = await tx.webhookEndpoint.updateMany({
          where: { id: row.id, secretKekId: row.secretKekId, previousSecretKekId: row.previousSecretKekId },
          data: {
            secretDataKeyCiphertext: new Uint8Array(current.dataKeyCiphertext),
            secretKekId: current.kekId,
            ...(previous === null
              ? {}
              : {
                  previousSecretDataKeyCiphertext: new Uint8Array(previous.dataKeyCiphertext),
                  previousSecretKekId: previous.kekId,
                }),
            rewrappedAt: new Date(),
          },
        });
        if (result.count === 1) {
          await this.audit.append(tx, {
            orgId: row.orgId,
            actor: { type: 'cli' },
            action: 'webhook.secret_rewrapped',
            subject: { type: 'webhook_endpoint', id: row.id },
            data: { fromKekId: row.secretKekId, toKekId: current.kekId },
          });
        }
        return result.count;
      });
    }
    return { rewrapped, skipped, activeKekId };
  }
}
