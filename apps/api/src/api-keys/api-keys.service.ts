import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { AuditLogRepository, PrismaService } from '@proco/persistence';
import { type OperatorApiKey } from '@proco/persistence';
import { mintCredential } from '../auth/credential.util';
import { type OperatorPrincipal } from '../auth/principal';
import { type ApiKeyView, type CreateApiKey, type CreatedApiKeyView } from './api-keys.dto';
import { ApiKeyNotFoundError, ApiKeySelfRevocationError } from './api-keys.errors';

/** Operator API keys: create (secret shown once), list, revoke. */
@Injectable()
export class ApiKeysService {
  constructor(
    private readonly prisma: PrismaService,
    private readonly audit: AuditLogRepository,
  ) {}

  async create(
    operator: OperatorPrincipal,
    input: CreateApiKey,
    requestId?: string,
  ): Promise<CreatedApiKeyView> {
    const credential = mintCredential('operator');
    const key = await this.prisma.$transaction(async (tx) => {
      const created = await tx.operatorApiKey.create({
        data: {
          id: randomUUID(),
          orgId: operator.orgId,
          name: input.name,
          scope: input.scope,
          prefix: credential.prefix,
          secretDigest: credential.digest,
        },
      });
      await this.audit.append(tx, {
        orgId: operator.orgId,
        actor: { type: 'operator', id: operator.apiKeyId },
        action: 'api_key.created',
        subject: { type: 'api_key', id: created.id },
        data: { name: created.name, scope: created.scope, prefix: created.prefix },
        ...(requestId === undefined ? {} : { requestId }),
      });
      return created;
    });
    return { ...toApiKeyView(key), secret: credential.secret };
  }

  async list(operator: OperatorPrincipal): Promise<ApiKeyView[]> {
    const keys = await this.prisma.operatorApiKey.findMany({
      where: { orgId: operator.orgId },
      orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
      take: 1_000,
    });
    return keys.map(toApiKeyView);
  }

  /** Revokes a key of the caller's org. Errors: `api_key_not_found`, `api_key_self_revocation`. */
  async revoke(operator: OperatorPrincipal, apiKeyId: string, requestId?: string): Promise<ApiKeyView> {
    if (apiKeyId === operator.apiKeyId) throw new ApiKeySelfRevocationError();
    return this.prisma.$transaction(async (tx) => {
      const existing = await tx.operatorApiKey.findFirst({ where: { id: apiKeyId, orgId: operator.orgId } });
      if (existing === null) throw new ApiKeyNotFoundError(apiKeyId);
      if (existing.revokedAt !== null) return toApiKeyView(existing);
      const revoked = await tx.operatorApiKey.update({
        where: { id: existing.id },
        data: { revokedAt: new Date() },
      });
      await this.audit.append(tx, {
        orgId: operator.orgId,
        actor: { type: 'operator', id: operator.apiKeyId },
        action: 'api_key.revoked',
        subject: { type: 'api_key', id: revoked.id },
        ...(requestId === undefined ? {} : { requestId }),
      });
      return toApiKeyView(revoked);
    });
  }
}

export function toApiKeyView(key: OperatorApiKey): ApiKeyView {
  return {
    id: key.id,
    name: key.name,
    prefix: key.prefix,
    scope: key.scope,
    createdAt: key.createdAt.toISOString(),
    lastUsedAt: key.lastUsedAt?.toISOString() ?? null,
    revokedAt: key.revokedAt?.toISOString() ?? null,
  };
}
