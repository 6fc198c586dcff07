import { DomainError } from '../common/api.errors';

export type SettlementsErrorCode = 'settlement_not_found' | 'receipt_invalid' | 'receipt_not_settleable';

/** Also what another org sees for this org's settlement: the same 404. */
export class SettlementNotFoundError extends DomainError<'settlement_not_found'> {
  readonly code = 'settlement_not_found';
  constructor(readonly settlementId: string) {
    super(`Settlement ${settlementId} does not exist.`);
  }
}

/** The receipt is not one this deployment signed and still vouches for; `reason` is the verifier's code. */
export class ReceiptInvalidError extends DomainError<'receipt_invalid'> {
  readonly code = 'receipt_invalid';
  constructor(
    readonly reason: string,
    options: { cause?: unknown } = {},
  ) {
    super(`The receipt does not verify (${reason}).`, options);
  }
}

/** The receipt's payment carries no signed authorization Proco could put on chain. */
export class ReceiptNotSettleableError extends DomainError<'receipt_not_settleable'> {
  readonly code = 'receipt_not_settleable';
  constructor(readonly paymentId: string) {
    super(`Payment ${paymentId} has no signed authorization to settle.`);
  }
}
