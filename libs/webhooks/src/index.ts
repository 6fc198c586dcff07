// Public API of @proco/webhooks: event types and their mapping from audit events, payloads,
// signing and verification, the retry schedule, signing secrets and the SSRF rules for endpoint
// URLs. Pure but for two small node adapters (the system DNS lookup and the secret generator).
export {
  isSubscribed,
  isWebhookEventType,
  WEBHOOK_ALL_EVENTS,
  WEBHOOK_EVENT_TYPES,
  WEBHOOK_SOURCE_AUDIT_ACTIONS,
  WEBHOOK_TEST_EVENT_TYPE,
  webhookEventIdOf,
  webhookEventOf,
  webhookPayloadOf,
} from './webhook-events';
export { classifyIpAddress, isIpAddressClassAllowed, PRIVATE_IP_ADDRESS_CLASSES } from './ip-address-class';
export {
  verifyWebhookSignature,
  WEBHOOK_SIGNATURE_HEADER,
  WEBHOOK_SIGNATURE_HEADER_LENGTH_MAX,
  WEBHOOK_SIGNATURE_SCHEME,
  WEBHOOK_SIGNATURE_TOLERANCE_SECONDS,
  WEBHOOK_SIGNATURES_PER_HEADER_MAX,
  webhookSignatureHeaderOf,
  webhookSignatureOf,
} from './webhook-signature';
export {
  WEBHOOK_DELIVERY_ATTEMPTS_MAX,
  WEBHOOK_RETRY_DELAY_MAX_MS,
  WEBHOOK_RETRY_JITTER_RATIO,
  webhookRetryDelayMs,
} from './webhook-retry';
export {
  isWebhookSecret,
  mintWebhookSecret,
  WEBHOOK_SECRET_PREFIX,
  WEBHOOK_SECRET_PURPOSE,
} from './webhook-secret';
export { parseWebhookUrl, resolveWebhookTarget, WEBHOOK_URL_LENGTH_MAX } from './webhook-target';
export { createSystemLookup, LOOKUP_ADDRESSES_MAX } from './system-lookup';

export type {
  AuditEventForWebhook,
  MappedWebhookEvent,
  WebhookEventType,
  WebhookPayload,
} from './webhook-events';
export type { IpAddressClass } from './ip-address-class';
export type {
  SignWebhookParams,
  VerifyWebhookSignatureParams,
  VerifyWebhookSignatureResult,
  WebhookBody,
  WebhookSignatureFailure,
  WebhookSignatureHeaderParams,
} from './webhook-signature';
export type { WebhookRetryDelayParams } from './webhook-retry';
export type {
  LookupHost,
  ParsedWebhookUrl,
  ResolvedAddress,
  WebhookTarget,
  WebhookTargetPolicy,
  WebhookTargetRefusal,
} from './webhook-target';
