import { DomainError } from '../common/api.errors';

export type PoliciesErrorCode = 'policy_not_found' | 'policy_version_not_found';

/** No policy has been set for this target yet (the org default or one agent). */
export class PolicyNotFoundError extends DomainError<'policy_not_found'> {
  readonly code = 'policy_not_found';
  constructor(readonly target: string) {
    super(`No policy is set for ${target === 'org' ? 'the org' : `agent ${target}`}.`);
  }
}

export class PolicyVersionNotFoundError extends DomainError<'policy_version_not_found'> {
  readonly code = 'policy_version_not_found';
  constructor(
    readonly target: string,
    readonly version: number,
  ) {
    super(`Version ${version} of the ${target === 'org' ? 'org' : `agent ${target}`} policy does not exist.`);
  }
}
