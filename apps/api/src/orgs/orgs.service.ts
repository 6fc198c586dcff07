import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { AuditLogRepository, PrismaService } from '@proco/persistence';
import { type CreatedApiKeyView } from '../api-keys/api-keys.dto';
import { toApiKeyView } from '../api-keys/api-keys.service';
import { insertOperatorKey } from '../api-keys/insert-operator-key';

export interface OrgView {
  readonly id: string;
  readonly name: string;
  readonly createdAt: string;
}

export interface BootstrapResult {
  readonly org: OrgView;
  readonly apiKey: CreatedApiKeyView;
}

/** Orgs: the tenant boundary. Created from the CLI; each starts with one admin key. */
@Injectable()
export class OrgsService {
  constructor(
    private readonly prisma: PrismaService,
    private readonly audit: AuditLogRepository,
  ) {}

  /** Creates an org and its first admin API key (the secret is returned once). */
  async bootstrap(params: { orgName: string; keyName?: string }): Promise<BootstrapResult> {
    return this.prisma.$transaction(async (tx) => {
      const org = await tx.org.create({ data: { id: randomUUID(), name: params.orgName } });
      const { key, secret } = await insertOperatorKey(tx, {
        orgId: org.id,
        name: params.keyName ?? 'bootstrap admin key',
        scope: 'admin',
      });
      await this.audit.append(tx, {
        orgId: org.id,
        actor: { type: 'cli' },
        action: 'org.created',
        subject: { type: 'org', id: org.id },
        data: { name: org.name, apiKeyId: key.id, apiKeyPrefix: key.prefix },
      });
      return { org: toOrgView(org), apiKey: { ...toApiKeyView(key), secret } };
    });
  }

  /** Issues another admin key for an org from the CLI (e.g. after losing every admin key). */
  async issueAdminKey(params: { orgId: string; keyName: string }): Promise<CreatedApiKeyView> {
    return this.prisma.$transaction(async (tx) => {
      const { key, secret } = await insertOperatorKey(tx, {
        orgId: params.orgId,
        name: params.keyName,
        scope: 'admin',
      });
      await this.audit.append(tx, {
        orgId: params.orgId,
        actor: { type: 'cli' },
        action: 'api_key.created',
        subject: { type: 'api_key', id: key.id },
        data: { name: key.name, scope: key.scope, prefix: key.prefix },
      });
      return { ...toApiKeyView(key), secret };
    });
  }

  async get(orgId: string): Promise<OrgView> {
    const org = await this.prisma.org.findUniqueOrThrow({ where: { id: orgId } });
    return toOrgView(org);
  }

  /** Orgs by name, oldest first (used by the demo to find its own org). */
  async findByName(name: string): Promise<OrgView[]> {
    const orgs = await this.prisma.org.findMany({ where: { name }, orderBy: { createdAt: 'asc' }, take: 10 });
    return orgs.map(toOrgView);
  }
}

function toOrgView(org: { id: string; name: string; createdAt: Date }): OrgView {
  return { id: org.id, name: org.name, createdAt: org.createdAt.toISOString() };
}
