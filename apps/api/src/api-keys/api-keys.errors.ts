import { DomainError } from '../common/api.errors';

export type ApiKeysErrorCode = 'api_key_not_found' | 'api_key_self_revocation';

export class ApiKeyNotFoundError extends DomainError<'api_key_not_found'> {
  readonly code = 'api_key_not_found';
  constructor(readonly apiKeyId: string) {
    super(`API key ${apiKeyId} does not exist in this org.`);
  }
}

export class ApiKeySelfRevocationError extends DomainError<'api_key_self_revocation'> {
  readonly code = 'api_key_self_revocation';
  constructor() {
    super('Revoke this key with another admin key, so an org is never locked out by accident.');
  }
}
