import { type AgentsErrorCode } from '../agents/agents.errors';
import { type ApiKeysErrorCode } from '../api-keys/api-keys.errors';
import { type FacilitatorErrorCode } from '../facilitator/facilitator.errors';
import { type NetworksErrorCode } from '../networks/networks.errors';
import { type PaymentsErrorCode } from '../payments/payments.errors';
import { type PoliciesErrorCode } from '../policies/policies.errors';
import { type ReceiptsErrorCode } from '../receipts/receipts.errors';
import { type SettlementsErrorCode } from '../settlements/settlements.errors';
import { type WalletsErrorCode } from '../wallets/wallets.errors';
import { type WebhooksErrorCode } from '../webhooks/webhooks.errors';
import { type ApiErrorCode } from './api.errors';

/** Every code the API can answer with. Adding a code without an entry below fails to compile. */
export type ErrorCode =
  | ApiErrorCode
  | AgentsErrorCode
  | ApiKeysErrorCode
  | WalletsErrorCode
  | NetworksErrorCode
  | PoliciesErrorCode
  | PaymentsErrorCode
  | FacilitatorErrorCode
  | ReceiptsErrorCode
  | SettlementsErrorCode
  | WebhooksErrorCode;

export interface ErrorCatalogEntry {
  readonly status: number;
  readonly title: string;
}

/** The one place where error codes meet HTTP statuses (RFC 9457 problem documents). */
export const ERROR_CATALOG: Readonly<Record<ErrorCode, ErrorCatalogEntry>> = {
  validation_failed: { status: 400, title: 'The request is invalid' },
  malformed_json: { status: 400, title: 'The request body is not valid JSON' },
  payload_too_large: { status: 413, title: 'The request body is too large' },
  unsupported_media_type: { status: 415, title: 'The request body must be application/json' },
  route_not_found: { status: 404, title: 'No such route' },
  unauthenticated: { status: 401, title: 'Authentication required' },
  forbidden: { status: 403, title: 'This credential may not do that' },
  rate_limited: { status: 429, title: 'Too many requests' },
  service_unavailable: { status: 503, title: 'A dependency is unavailable' },
  internal_error: { status: 500, title: 'Internal error' },
  agent_not_found: { status: 404, title: 'Agent not found' },
  agent_frozen: { status: 409, title: 'The agent is frozen' },
  agent_token_not_found: { status: 404, title: 'Agent token not found' },
  agent_token_limit_reached: { status: 409, title: 'Too many live tokens for this agent' },
  api_key_not_found: { status: 404, title: 'API key not found' },
  api_key_self_revocation: { status: 409, title: 'A key cannot revoke itself' },
  wallet_not_found: { status: 404, title: 'Wallet not found' },
  wallet_unavailable: { status: 500, title: 'The wallet key cannot be opened' },
  network_not_found: { status: 404, title: 'Network not configured' },
  faucet_unavailable: { status: 404, title: 'The faucet is only available on a local chain' },
  policy_not_found: { status: 404, title: 'No policy is set' },
  policy_version_not_found: { status: 404, title: 'Policy version not found' },
  rpc_unavailable: { status: 503, title: 'The network RPC did not answer' },
  receipt_signing_unavailable: { status: 503, title: 'Receipts cannot be signed right now' },
  payment_denied: { status: 402, title: 'The payment was denied by policy' },
  no_payable_requirement: { status: 402, title: 'No offered payment requirement can be paid' },
  idempotency_key_conflict: { status: 409, title: 'The idempotency key was used for a different request' },
  idempotency_key_in_progress: { status: 409, title: 'A request with this idempotency key is in progress' },
  payment_failed: { status: 409, title: 'The payment under this idempotency key failed' },
  payment_not_found: { status: 404, title: 'Payment not found' },
  settlement_not_found: { status: 404, title: 'Settlement not found' },
  receipt_invalid: { status: 400, title: 'The receipt does not verify' },
  receipt_not_settleable: { status: 409, title: 'The receipt’s payment cannot be settled' },
  payment_rejected: { status: 409, title: 'The payment was rejected by an operator' },
  approval_not_pending: { status: 409, title: 'The payment is not waiting for approval' },
  policy_changed: { status: 409, title: 'The policy changed while the payment was being decided' },
  approval_in_progress: { status: 409, title: 'Another approval of this payment is still being signed' },
  // What the x402 layer refuses in a seller's 402 is the caller's input: always a 400.
  invalid_amount: { status: 400, title: 'An amount is not a decimal uint256' },
  invalid_base64: { status: 400, title: 'The header is not valid base64' },
  invalid_json: { status: 400, title: 'The document is not acceptable JSON' },
  payment_required_too_large: { status: 400, title: 'The PaymentRequired document is too large' },
  payment_payload_too_large: { status: 400, title: 'The payment payload is too large' },
  payment_response_too_large: { status: 400, title: 'The payment response is too large' },
  unsupported_version: { status: 400, title: 'Unsupported x402 version' },
  invalid_payment_required: { status: 400, title: 'The PaymentRequired document is invalid' },
  invalid_payment_payload: { status: 400, title: 'The payment payload is invalid' },
  invalid_payment_response: { status: 400, title: 'The payment response is invalid' },
  invalid_header_name: { status: 400, title: 'Unknown payment header name' },
  invalid_payment_identifier: { status: 400, title: 'Invalid payment identifier' },
  payment_identifier_required: { status: 400, title: 'The seller requires a payment identifier' },
  invalid_argument: { status: 400, title: 'Invalid x402 argument' },
  unsupported_scheme: { status: 400, title: 'Unsupported payment scheme' },
  unsupported_network: { status: 400, title: 'Unsupported network' },
  unsupported_asset_transfer_method: { status: 400, title: 'Unsupported asset transfer method' },
  invalid_asset_address: { status: 400, title: 'The asset is not a valid address' },
  invalid_pay_to_address: { status: 400, title: 'The payee is not a valid address' },
  missing_eip712_domain: { status: 400, title: 'The EIP-712 domain (extra.name, extra.version) is missing' },
  // A facilitator request that is not one at all; refused payments are 200 `isValid: false` instead.
  invalid_facilitator_request: {
    status: 400,
    title: 'The body is not { x402Version, paymentPayload, paymentRequirements }',
  },
  invalid_payment_requirements: { status: 400, title: 'The payment requirements are invalid' },
  webhook_endpoint_not_found: { status: 404, title: 'Webhook endpoint not found' },
  webhook_delivery_not_found: { status: 404, title: 'Webhook delivery not found' },
  webhook_url_refused: { status: 400, title: 'The webhook URL is not allowed' },
  webhook_endpoint_limit_reached: { status: 409, title: 'Too many webhook endpoints in this org' },
  webhook_delivery_in_progress: { status: 409, title: 'An attempt of this delivery is in progress' },
};

/** Whether `code` is a known error code (and so safe to show). */
export function isErrorCode(code: unknown): code is ErrorCode {
  return typeof code === 'string' && Object.hasOwn(ERROR_CATALOG, code);
}

/** Base URI of the problem `type` members; each code gets its own stable URI. */
export const PROBLEM_TYPE_BASE = 'https://proco.dev/problems/';
