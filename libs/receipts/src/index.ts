// Public API of @proco/receipts: the receipt claims schema, signing-key generation, signing and
// offline verification (including a seller's expected payTo, amount, asset, network, resource
// origin and method). Depends on jose and zod only; `verifyReceipt` runs on any WebCrypto
// runtime, so the seller SDK can reuse it.
export {
  RECEIPT_LIFETIME_DEFAULT_SECONDS,
  RECEIPT_LIFETIME_MAX_SECONDS,
  RECEIPT_TYPE,
  ReceiptClaimsSchema,
  ReceiptPaymentSchema,
} from './receipt-claims';
export {
  generateReceiptSigningKey,
  isReceiptAlgorithm,
  RECEIPT_ALGORITHMS,
  toPublishedJwk,
} from './receipt-signing-key';
export { createReceiptSigner, signReceipt } from './sign-receipt';
export {
  RECEIPT_CLOCK_TOLERANCE_MAX_SECONDS,
  RECEIPT_TOKEN_LENGTH_MAX_CHARS,
  verifyReceipt,
} from './verify-receipt';
export { isReceiptError, RECEIPT_ERROR_CODES, ReceiptError } from './receipt.errors';

export type { ReceiptClaims, ReceiptPayment, UnsignedReceiptClaims } from './receipt-claims';
export type {
  GenerateReceiptSigningKeyParams,
  GenerateReceiptSigningKeyResult,
  ReceiptAlgorithm,
  ReceiptPublicJwk,
  ReceiptSigningKey,
  ToPublishedJwkParams,
} from './receipt-signing-key';
export type {
  CreateReceiptSignerParams,
  CreateReceiptSignerResult,
  ReceiptSigner,
  SignReceiptClaimsParams,
  SignReceiptParams,
  SignReceiptResult,
} from './sign-receipt';
export type { VerifyReceiptErrorType, VerifyReceiptParams, VerifyReceiptResult } from './verify-receipt';
export type { ExpectedReceiptPayment } from './receipt-expectations';
export type {
  ReceiptClaimIssue,
  ReceiptErrorCode,
  ReceiptErrorParams,
  ReceiptMismatchClaim,
} from './receipt.errors';
