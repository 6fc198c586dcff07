import { X402Error } from '@proco/x402';
import { PaymentRequiredRejectedError } from './payments.errors';

/**
 * Runs `run` and re-throws any `X402Error` as the domain error carrying the same stable code, so
 * the problem filter answers it (every x402 code is a 400 in the catalogue) instead of a 500.
 */
export function mapX402Errors<Result>(run: () => Result): Result {
  try {
    return run();
  } catch (error: unknown) {
    if (error instanceof X402Error) {
      throw new PaymentRequiredRejectedError(error.code, error.message, { cause: error });
    }
    throw error;
  }
}
