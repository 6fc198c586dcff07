// Public API of @proco/x402: the pure x402 wire layer (amounts, networks, 402 decoding, EIP-3009
// authorization building, payment and settlement header codecs), shared by the payment endpoint,
// the facilitator and the SDKs.
export { formatAtomicAmount, parseAtomicAmount, UINT256_LIMIT } from './atomic-amount';
export { chainIdOf, toCaip2Network, V1_NETWORK_CHAIN_IDS, v1NetworkNamesOf } from './x402-network';
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
export { parseVerifyRequest, payerOf, requirementsChainIdOf } from './verify-request';
export { checkBeforeSignature, checkEip3009Payment, checkFromSignature } from './verify-exact-evm';
export {
  ECDSA_SIGNATURE_LENGTH_BYTES,
  ecdsaFormViolation,
  openSignatureEnvelope,
  recoversTo,
  SECP256K1_HALF_ORDER,
  transferAuthorizationDigest,
} from './authorization-signature';
export { diagnoseSimulationRevert } from './diagnose-simulation-revert';
export { authorizationIdOf } from './authorization-id';
export { PROCO_VERIFY_INVALID_REASONS, VERIFY_INVALID_REASONS } from './verify-reasons';
export {
  ACCEPTS_COUNT_MAX,
  ERROR_MESSAGE_LENGTH_CHARS_MAX,
  FACILITATOR_REQUEST_LENGTH_CHARS_MAX,
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
  VALID_BEFORE_HORIZON_SECONDS_MAX,
  VALID_BEFORE_MARGIN_SECONDS,
} from './x402.limits';
export {
  findX402Error,
  HeaderTooLargeError,
  InvalidAmountError,
  InvalidArgumentError,
  InvalidBase64Error,
  InvalidFacilitatorRequestError,
  InvalidHeaderNameError,
  InvalidJsonError,
  InvalidPaymentIdentifierError,
  InvalidPaymentPayloadError,
  InvalidPaymentRequiredError,
  InvalidPaymentRequirementsError,
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
export type {
  Eip3009Payment,
  Eip3009VerifyRequest,
  UnsupportedPayment,
  VerifyRequest,
  VerifyRequirements,
} from './verify-request';
export type { CheckEip3009PaymentParams, PayerSignatureEvidence } from './verify-exact-evm';
export type {
  Erc6492Deployment,
  SignatureEnvelope,
  TransferAuthorizationDigestParams,
} from './authorization-signature';
export type {
  ContractReading,
  DiagnoseSimulationRevertParams,
  SimulationRevertReadings,
} from './diagnose-simulation-revert';
export type { AuthorizationIdParams } from './authorization-id';
export type { VerifyInvalidReason, VerifyRefusal } from './verify-reasons';
