import { Injectable, Logger } from '@nestjs/common';
import { CredentialRepository } from '@proco/persistence';
import { type Request } from 'express';
import { credentialKindOf, digestCredential } from './credential.util';
import { type Principal } from './principal';

const BEARER_PATTERN = /^Bearer ([^\s]{1,200})$/;

/**
 * Authenticates `Authorization: Bearer <credential>` against stored digests. Answers `null` (a
 * 401) for anything missing, malformed, unknown or revoked, without saying which.
 *
 * A plain provider called by `AccessGuard`, not a Passport strategy: Passport keeps strategies in
 * one process-wide registry, so two Nest applications in one process (an embedding host, the
 * test suites) would authenticate through whichever registered last, with its connections.
 */
@Injectable()
export class BearerAuthenticator {
  private readonly logger = new Logger(BearerAuthenticator.name);

  constructor(private readonly credentials: CredentialRepository) {}

  async authenticate(request: Request): Promise<Principal | null> {
    const match = BEARER_PATTERN.exec(request.headers.authorization ?? '');
    const secret = match?.[1];
    if (secret === undefined) return null;
    const kind = credentialKindOf(secret);
    if (kind === undefined) return null;
    const digest = digestCredential(secret);
    const found =
      kind === 'operator'
        ? await this.credentials.findOperatorKey(digest)
        : await this.credentials.findAgentToken(digest);
    if (found === undefined) return null;
    // Last-use tracking must never fail or slow the request it describes.
    this.credentials.touch(found, new Date()).catch((error: unknown) => {
      this.logger.warn({ err: error }, 'could not record credential use');
    });
    return found.kind === 'operator'
      ? { kind: 'operator', orgId: found.orgId, apiKeyId: found.id, scope: found.scope }
      : { kind: 'agent', orgId: found.orgId, agentId: found.agentId, agentTokenId: found.id };
  }
}
