import { DomainError } from '../common/api.errors';

export type SettlementsErrorCode = 'settlement_not_found';

/** Also what another org sees for this org's settlement: the same 404. */
export class SettlementNotFoundError extends DomainError<'settlement_not_found'> {
  readonly code = 'settlement_not_found';
  constructor(readonly settlementId: string) {
    super(`Settlement ${settlementId} does not exist.`);
  }
}
