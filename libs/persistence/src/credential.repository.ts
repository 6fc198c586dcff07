import { Injectable } from '@nestjs/common';
import { PrismaService } from './prisma.service';

/** Writes `last_used_at` at most this often per credential, so reads do not become writes. */
export const LAST_USED_RESOLUTION_MS = 60_000;

/** Credentials whose last write this process remembers; past it the memory starts over. */
export const TOUCHED_CREDENTIALS_MAX = 10_000;

/** A live credential found by its digest, with what authentication needs to know. */
export type CredentialMatch =
  | {
      readonly kind: 'operator';
      readonly id: string;
      readonly orgId: string;
      readonly scope: 'admin' | 'read';
    }
  | { readonly kind: 'agent'; readonly id: string; readonly orgId: string; readonly agentId: string };

/**
 * Looks up bearer credentials by the SHA-256 digest of their secret. The lookups run on every
 * authenticated request, so they are named prepared statements on the pg pool Prisma runs on
 * rather than Prisma queries, whose fixed cost per call is several times theirs.
 */
@Injectable()
export class CredentialRepository {
  /** When this process last wrote each credential's `last_used_at` (epoch ms). */
  private readonly touchedAtMs = new Map<string, number>();

  constructor(private readonly prisma: PrismaService) {}

  /** The unrevoked operator API key with this digest, if any. */
  async findOperatorKey(digest: Uint8Array<ArrayBuffer>): Promise<CredentialMatch | undefined> {
    const { rows } = await this.prisma.pool.query<{ id: string; org_id: string; scope: 'admin' | 'read' }>({
      name: 'proco_find_operator_key',
      text: `SELECT "id"::text, "org_id"::text, "scope"::text FROM "operator_api_keys"
              WHERE "secret_digest" = $1 AND "revoked_at" IS NULL`,
      values: [Buffer.from(digest)],
    });
    const key = rows[0];
    return key === undefined
      ? undefined
      : { kind: 'operator', id: key.id, orgId: key.org_id, scope: key.scope };
  }

  /** The unrevoked agent token with this digest, if any. */
  async findAgentToken(digest: Uint8Array<ArrayBuffer>): Promise<CredentialMatch | undefined> {
    const { rows } = await this.prisma.pool.query<{ id: string; org_id: string; agent_id: string }>({
      name: 'proco_find_agent_token',
      text: `SELECT "id"::text, "org_id"::text, "agent_id"::text FROM "agent_tokens"
              WHERE "secret_digest" = $1 AND "revoked_at" IS NULL`,
      values: [Buffer.from(digest)],
    });
    const token = rows[0];
    return token === undefined
      ? undefined
      : { kind: 'agent', id: token.id, orgId: token.org_id, agentId: token.agent_id };
  }

  /**
   * Records use, coarsely: one conditional write per credential per resolution window. The
   * process remembers its own writes, so a busy credential costs no round trip per request.
   */
  async touch(match: CredentialMatch, now: Date): Promise<void> {
    const touchedAtMs = this.touchedAtMs.get(match.id);
    if (touchedAtMs !== undefined && now.getTime() - touchedAtMs < LAST_USED_RESOLUTION_MS) return;
    if (this.touchedAtMs.size >= TOUCHED_CREDENTIALS_MAX) this.touchedAtMs.clear();
    this.touchedAtMs.set(match.id, now.getTime());
    const staleBefore = new Date(now.getTime() - LAST_USED_RESOLUTION_MS);
    const where = { id: match.id, OR: [{ lastUsedAt: null }, { lastUsedAt: { lt: staleBefore } }] };
    if (match.kind === 'operator') {
      await this.prisma.operatorApiKey.updateMany({ where, data: { lastUsedAt: now } });
    } else {
      await this.prisma.agentToken.updateMany({ where, data: { lastUsedAt: now } });
    }
  }
}
