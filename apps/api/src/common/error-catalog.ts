import { type AgentsErrorCode } from '../agents/agents.errors';
import { type ApiKeysErrorCode } from '../api-keys/api-keys.errors';
import { type NetworksErrorCode } from '../networks/networks.errors';
import { type PoliciesErrorCode } from '../policies/policies.errors';
import { type ReceiptsErrorCode } from '../receipts/receipts.errors';
import { type WalletsErrorCode } from '../wallets/wallets.errors';
import { type ApiErrorCode } from './api.errors';

/** Every code the API can answer with. Adding a code without an entry below fails to compile. */
export type ErrorCode =
  | ApiErrorCode
  | AgentsErrorCode
  | ApiKeysErrorCode
  | WalletsErrorCode
  | NetworksErrorCode
  | PoliciesErrorCode
  | ReceiptsErrorCode;

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
};

/** Whether `code` is a known error code (and so safe to show). */
export function isErrorCode(code: unknown): code is ErrorCode {
  return typeof code === 'string' && Object.hasOwn(ERROR_CATALOG, code);
}

/** Base URI of the problem `type` members; each code gets its own stable URI. */
export const PROBLEM_TYPE_BASE = 'https://proco.dev/problems/';
