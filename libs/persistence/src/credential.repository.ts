import { Injectable } from '@nestjs/common';
import { PrismaService } from './prisma.service';

/** Writes `last_used_at` at most this often per credential, so reads do not become writes. */
export const LAST_USED_RESOLUTION_MS = 60_000;

/** A live credential found by its digest, with what authentication needs to know. */
export type CredentialMatch =
  | {
      readonly kind: 'operator';
      readonly id: string;
      readonly orgId: string;
      readonly scope: 'admin' | 'read';
    }
  | { readonly kind: 'agent'; readonly id: string; readonly orgId: string; readonly agentId: string };

/** Looks up bearer credentials by the SHA-256 digest of their secret. */
@Injectable()
export class CredentialRepository {
  constructor(private readonly prisma: PrismaService) {}

  /** The unrevoked operator API key with this digest, if any. */
  async findOperatorKey(digest: Uint8Array<ArrayBuffer>): Promise<CredentialMatch | undefined> {
    const key = await this.prisma.operatorApiKey.findUnique({
      where: { secretDigest: digest },
      select: { id: true, orgId: true, scope: true, revokedAt: true },
    });
    if (key === null || key.revokedAt !== null) return undefined;
    return { kind: 'operator', id: key.id, orgId: key.orgId, scope: key.scope };
  }

  /** The unrevoked agent token with this digest, if any. */
  async findAgentToken(digest: Uint8Array<ArrayBuffer>): Promise<CredentialMatch | undefined> {
    const token = await this.prisma.agentToken.findUnique({
      where: { secretDigest: digest },
      select: { id: true, orgId: true, agentId: true, revokedAt: true },
    });
    if (token === null || token.revokedAt !== null) return undefined;
    return { kind: 'agent', id: token.id, orgId: token.orgId, agentId: token.agentId };
  }

  /** Records use, coarsely: one conditional write per credential per resolution window. */
  async touch(match: CredentialMatch, now: Date): Promise<void> {
    const staleBefore = new Date(now.getTime() - LAST_USED_RESOLUTION_MS);
    const where = { id: match.id, OR: [{ lastUsedAt: null }, { lastUsedAt: { lt: staleBefore } }] };
    if (match.kind === 'operator') {
      await this.prisma.operatorApiKey.updateMany({ where, data: { lastUsedAt: now } });
    } else {
      await this.prisma.agentToken.updateMany({ where, data: { lastUsedAt: now } });
    }
  }
}
