// Public API of @proco/x402: the pure x402 wire layer (amounts, networks, 402 decoding, EIP-3009
// authorization building, payment and settlement header codecs), shared by the payment endpoint,
// the facilitator and the SDKs.
export { formatAtomicAmount, parseAtomicAmount, UINT256_LIMIT } from './atomic-amount';
export { chainIdOf, toCaip2Network, V1_NETWORK_CHAIN_IDS } from './x402-network';
export { decodePaymentRequired } from './decode-payment-required';
export { normalizePaymentRequired } from './normalize-payment-required';
export { EXACT_SCHEME } from './normalize-requirement';
export {
  isValidPaymentIdentifier,
  PAYMENT_IDENTIFIER_EXTENSION,
  PAYMENT_IDENTIFIER_LENGTH_CHARS_MAX,
  PAYMENT_IDENTIFIER_LENGTH_CHARS_MIN,
  paymentIdentifierOf,
} from './payment-identifier';
export {
  buildTransferAuthorization,
  NONCE_LENGTH_BYTES,
  randomNonce,
  TRANSFER_WITH_AUTHORIZATION_PRIMARY_TYPE,
  TRANSFER_WITH_AUTHORIZATION_TYPES,
} from './transfer-authorization';
export { buildPaymentPayload } from './payment-payload';
export { decodePaymentHeader, encodePaymentHeader, parseExactEvmPayload } from './payment-header';
export { decodePaymentResponseHeader } from './payment-response';
export {
  PAYMENT_REQUIRED_HEADER,
  PAYMENT_RESPONSE_HEADER,
  PAYMENT_SIGNATURE_HEADER,
  X_PAYMENT_HEADER,
  X_PAYMENT_RESPONSE_HEADER,
} from './x402-headers';
export { JSON_REJECTION_REASONS, REQUIREMENT_UNSUPPORTED_REASONS } from './x402.reasons';
export {
  ACCEPTS_COUNT_MAX,
  ERROR_MESSAGE_LENGTH_CHARS_MAX,
  IDENTIFIER_LENGTH_CHARS_MAX,
  JSON_DEPTH_MAX,
  JSON_NODE_COUNT_MAX,
  MAX_TIMEOUT_SECONDS_MAX,
  MAX_TIMEOUT_SECONDS_MIN,
  PAYMENT_PAYLOAD_HEADER_LENGTH_CHARS_MAX,
  PAYMENT_REQUIRED_BODY_LENGTH_CHARS_MAX,
  PAYMENT_REQUIRED_HEADER_LENGTH_CHARS_MAX,
  PAYMENT_RESPONSE_HEADER_LENGTH_CHARS_MAX,
  SIGNATURE_LENGTH_HEX_CHARS_MAX,
  TEXT_LENGTH_CHARS_MAX,
  UINT256_DECIMAL_DIGITS_MAX,
  URL_LENGTH_CHARS_MAX,
} from './x402.limits';
export {
  findX402Error,
  HeaderTooLargeError,
  InvalidAmountError,
  InvalidArgumentError,
  InvalidBase64Error,
  InvalidHeaderNameError,
  InvalidJsonError,
  InvalidPaymentIdentifierError,
  InvalidPaymentPayloadError,
  InvalidPaymentRequiredError,
  InvalidPaymentResponseError,
  PaymentIdentifierRequiredError,
  RequirementNotPayableError,
  UnsupportedNetworkError,
  UnsupportedVersionError,
  X402Error,
} from './x402.errors';

export type { Eip155Network, ToCaip2NetworkParams } from './x402-network';
export type { DecodePaymentRequiredParams } from './decode-payment-required';
export type {
  Eip712DomainNaming,
  NormalizedPaymentRequired,
  NormalizedRequirement,
  NormalizedResource,
  PayableRequirement,
  PaymentRequiredV1Wire,
  PaymentRequirementsV1Wire,
  UnpayableRequirement,
} from './normalized-payment-required';
export type { JsonObject, JsonValue } from './bounded-json';
export type { PaymentIdentifierDeclaration } from './payment-identifier';
export type {
  BuildTransferAuthorizationParams,
  BuildTransferAuthorizationResult,
  TransferAuthorization,
  TransferWithAuthorizationTypedData,
} from './transfer-authorization';
export type {
  BuildPaymentPayloadParams,
  ExactEvmPayload,
  PaymentPayloadV1Wire,
  X402PaymentPayload,
} from './payment-payload';
export type { DecodePaymentHeaderParams, EncodedPaymentHeader } from './payment-header';
export type { PaymentHeaderName } from './x402-headers';
export type { JsonRejectionReason, RequirementUnsupportedReason } from './x402.reasons';
export type { HeaderTooLargeCode, X402ErrorCode, X402ErrorType, X402Issue } from './x402.errors';
