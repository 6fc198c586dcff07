import { Injectable } from '@nestjs/common';
import { AuditLogRepository, PrismaService } from '@proco/persistence';
import { type OperatorApiKey } from '@proco/persistence';
import { type OperatorPrincipal } from '../auth/principal';
import { type ApiKeyView, type CreateApiKey, type CreatedApiKeyView } from './api-keys.dto';
import { ApiKeyNotFoundError, ApiKeySelfRevocationError } from './api-keys.errors';
import { insertOperatorKey } from './insert-operator-key';

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
    return this.prisma.$transaction(async (tx) => {
      const { key: created, secret } = await insertOperatorKey(tx, {
        orgId: operator.orgId,
        name: input.name,
        scope: input.scope,
      });
      await this.audit.append(tx, {
        orgId: operator.orgId,
        actor: { type: 'operator', id: operator.apiKeyId },
        action: 'api_key.created',
        subject: { type: 'api_key', id: created.id },
        data: { name: created.name, scope: created.scope, prefix: created.prefix },
        requestId,
      });
      return { ...toApiKeyView(created), secret };
    });
  }

  async list(operator: OperatorPrincipal): Promise<ApiKeyView[]> {
    const keys = await this.prisma.operatorApiKey.findMany({
      where: { orgId: operator.orgId },
      orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
      take: 1_000,
    });
    return keys.map(toApiKeyView);
  }

  /**
   * Revokes a key of the caller's org; revoking a revoked key returns it unchanged and records
   * nothing. Errors: `api_key_not_found`, `api_key_self_revocation`.
   */
  async revoke(operator: OperatorPrincipal, apiKeyId: string, requestId?: string): Promise<ApiKeyView> {
    if (apiKeyId === operator.apiKeyId) throw new ApiKeySelfRevocationError();
    const scope = { id: apiKeyId, orgId: operator.orgId };
    return this.prisma.$transaction(async (tx) => {
      // A conditional update, not read-then-write: parallel revocations wait on the row lock and
      // then match nothing, so exactly one of them stamps `revokedAt` and writes the audit event.
      const { count } = await tx.operatorApiKey.updateMany({
        where: { ...scope, revokedAt: null },
        data: { revokedAt: new Date() },
      });
      if (count === 1) {
        await this.audit.append(tx, {
          orgId: operator.orgId,
          actor: { type: 'operator', id: operator.apiKeyId },
          action: 'api_key.revoked',
          subject: { type: 'api_key', id: apiKeyId },
          requestId,
        });
      }
      const key = await tx.operatorApiKey.findFirst({ where: scope });
      if (key === null) throw new ApiKeyNotFoundError(apiKeyId);
      return toApiKeyView(key);
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
