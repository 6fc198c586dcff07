import { Inject, Injectable } from '@nestjs/common';
import { KEYRING } from '@proco/config';
import { type Keyring, rewrapDataKey, SYSTEM_KEY_ORG_ID } from '@proco/keys';
import { AuditLogRepository, PrismaService } from '@proco/persistence';

/** What `rotateMasterKey` did to relayer keys. */
export interface RewrapRelayerKeysResult {
  readonly rewrapped: number;
  /** Relayers whose data key is under a master key this keyring lacks. */
  readonly skipped: readonly { readonly relayerId: string; readonly kekId: string }[];
}

/**
 * The relayer half of master-key rotation: relayer keys are sealed like wallet keys (bound to the
 * org id `system` and the relayer id), so `rotate-master-key` re-wraps their data keys too, each
 * row conditionally on the key it was read with.
 */
@Injectable()
export class RelayerKeysService {
  constructor(
    private readonly prisma: PrismaService,
    private readonly audit: AuditLogRepository,
    @Inject(KEYRING) private readonly keyring: Keyring,
  ) {}

  async rotateMasterKey(): Promise<RewrapRelayerKeysResult> {
    // A deployment has one relayer (a handful after replacements): one read covers them all.
    const rows = await this.prisma.relayer.findMany({ where: { kekId: { not: this.keyring.activeKekId } } });
    const known = new Set(this.keyring.kekIds);
    let rewrapped = 0;
    const skipped: { relayerId: string; kekId: string }[] = [];
    for (const row of rows) {
      if (!known.has(row.kekId)) {
        skipped.push({ relayerId: row.id, kekId: row.kekId });
        continue;
      }
      const wrapped = rewrapDataKey({
        keyring: this.keyring,
        sealed: { dataKeyCiphertext: Uint8Array.from(row.dataKeyCiphertext), kekId: row.kekId },
        orgId: SYSTEM_KEY_ORG_ID,
        walletId: row.id,
      });
      await this.prisma.$transaction(async (tx) => {
        const updated = await tx.relayer.updateMany({
          where: { id: row.id, kekId: row.kekId },
          data: {
            dataKeyCiphertext: new Uint8Array(wrapped.dataKeyCiphertext),
            kekId: wrapped.kekId,
            rewrappedAt: new Date(),
          },
        });
        if (updated.count === 0) return;
        rewrapped += 1;
        await this.audit.append(tx, {
          orgId: null,
          actor: { type: 'cli' },
          action: 'relayer.rewrapped',
          subject: { type: 'relayer', id: row.id },
          data: { fromKekId: row.kekId, toKekId: wrapped.kekId },
        });
      });
    }
    return { rewrapped, skipped };
  }
}
