import { DomainError } from '../common/api.errors';

export type ReceiptsErrorCode = 'receipt_signing_unavailable';

/**
 * The active receipt signing key cannot be opened here (its master key is not configured, or the
 * row was tampered with), or no key is active. The cause says which; it never holds key bytes.
 */
export class ReceiptSigningUnavailableError extends DomainError<'receipt_signing_unavailable'> {
  readonly code = 'receipt_signing_unavailable';
  constructor(
    readonly kid: string | null,
    options: { cause?: unknown } = {},
  ) {
    super(
      kid === null
        ? 'No receipt signing key is active.'
        : `The receipt signing key ${kid} cannot be opened with the configured master keys.`,
      options,
    );
  }
}
