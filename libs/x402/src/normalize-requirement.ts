// One entry of `accepts`: validated structurally (a failure rejects the whole document), then
// assessed for payability (a failure only flags this entry).
import type { Network, PaymentRequirements } from '@x402/core/types';
import type { Address } from 'viem';

import { parseAtomicAmount } from './atomic-amount';
import { isJsonObject, type JsonObject, type JsonValue } from './bounded-json';
import { checksummedAddressOrNull } from './evm-address.util';
import type {
  Eip712DomainNaming,
  NormalizedRequirement,
  PaymentRequirementsV1Wire,
} from './normalized-payment-required';
import { PaymentRequirementsV1Schema, PaymentRequirementsV2Schema } from './payment-required.schema';
import { chainIdOf, toCaip2Network } from './x402-network';
import { InvalidPaymentRequiredError, X402Error } from './x402.errors';
import { IDENTIFIER_LENGTH_CHARS_MAX } from './x402.limits';
import type { RequirementUnsupportedReason } from './x402.reasons';
import { toX402Issues } from './zod-issues.util';

/** The only scheme our signer implements. */
export const EXACT_SCHEME = 'exact';

// Absent means EIP-3009 in the reference client; we sign nothing else.
const EIP3009_TRANSFER_METHOD = 'eip3009';

// Loose enough to recognise a syntactically valid CAIP-2 id of any namespace (CAIP-2 §syntax),
// so a `solana:…` option still reports its network while being flagged unsupported.
const CAIP2_NETWORK = /^[-a-z0-9]{3,8}:[-_a-zA-Z0-9]{1,32}$/;

/** Parameters of `normalizeRequirement`. */
export interface NormalizeRequirementParams {
  readonly value: JsonValue | undefined;
  readonly index: number;
  readonly x402Version: 1 | 2;
}

/**
 * Validates and normalizes `accepts[index]`.
 *
 * Throws `invalid_payment_required` (structure) or `invalid_amount`.
 */
export function normalizeRequirement({
  value,
  index,
  x402Version,
}: NormalizeRequirementParams): NormalizedRequirement {
  const basePath = `$.accepts[${index}]`;
  const schema = x402Version === 2 ? PaymentRequirementsV2Schema : PaymentRequirementsV1Schema;
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    throw new InvalidPaymentRequiredError({ issues: toX402Issues({ error: parsed.error, basePath }) });
  }
  // The schema only accepts objects; this guard narrows the type for the reads below.
  if (!isJsonObject(value)) {
    throw new InvalidPaymentRequiredError({ issues: [{ path: basePath, message: 'expected an object' }] });
  }
  const fields = parsed.data;
  const amountField = x402Version === 2 ? 'amount' : 'maxAmountRequired';
  const extra = isJsonObject(value['extra']) ? value['extra'] : null;
  const network = caip2NetworkOrNull({ network: fields.network, x402Version });
  const base: RequirementBase = {
    index,
    scheme: fields.scheme,
    networkAsGiven: fields.network,
    amountAtomic: parseAtomicAmount(value[amountField], { path: `${basePath}.${amountField}` }),
    asset: fields.asset,
    payTo: fields.payTo,
    maxTimeoutSeconds: fields.maxTimeoutSeconds,
    extra,
    resourceUrl: x402Version === 1 && typeof value['resource'] === 'string' ? value['resource'] : null,
    // The frozen original object, never zod's output: the reference server deep-equals `accepted`.
    raw: value as unknown as PaymentRequirements | PaymentRequirementsV1Wire,
  };
  return assessPayability({
    base,
    network,
    chainId: network === null ? null : chainIdOrNull(network),
    assetAddress: checksummedAddressOrNull(fields.asset),
    payToAddress: checksummedAddressOrNull(fields.payTo),
    eip712Domain: eip712DomainOf(extra),
  });
}

type RequirementBase = Omit<
  NormalizedRequirement,
  'supported' | 'unsupportedReason' | 'network' | 'chainId' | 'assetAddress' | 'payToAddress' | 'eip712Domain'
>;

function assessPayability(params: {
  base: RequirementBase;
  network: Network | null;
  chainId: number | null;
  assetAddress: Address | null;
  payToAddress: Address | null;
  eip712Domain: Eip712DomainNaming | null;
}): NormalizedRequirement {
  const { base, network, chainId, assetAddress, payToAddress, eip712Domain } = params;
  if (
    base.scheme === EXACT_SCHEME &&
    chainId !== null &&
    isEip3009Method(base.extra) &&
    assetAddress !== null &&
    payToAddress !== null &&
    eip712Domain !== null
  ) {
    return {
      ...base,
      supported: true,
      unsupportedReason: null,
      network: `eip155:${chainId}`,
      chainId,
      assetAddress,
      payToAddress,
      eip712Domain,
    };
  }
  // Precedence follows REQUIREMENT_UNSUPPORTED_REASONS; the first failing check is reported.
  const checks: ReadonlyArray<readonly [RequirementUnsupportedReason, boolean]> = [
    ['unsupported_scheme', base.scheme === EXACT_SCHEME],
    ['unsupported_network', chainId !== null],
    ['unsupported_asset_transfer_method', isEip3009Method(base.extra)],
    ['invalid_asset_address', assetAddress !== null],
    ['invalid_pay_to_address', payToAddress !== null],
    ['missing_eip712_domain', eip712Domain !== null],
  ];
  const failed = checks.find(([, passed]) => !passed);
  return {
    ...base,
    supported: false,
    // The fallback is unreachable (some check failed to get here) but keeps the type total.
    unsupportedReason: failed?.[0] ?? 'unsupported_scheme',
    network,
    chainId,
    assetAddress,
    payToAddress,
    eip712Domain,
  };
}

function caip2NetworkOrNull(params: { network: string; x402Version: 1 | 2 }): Network | null {
  if (params.x402Version === 2) {
    return CAIP2_NETWORK.test(params.network) ? (params.network as Network) : null;
  }
  try {
    return toCaip2Network({ network: params.network, x402Version: 1 });
  } catch (error) {
    if (error instanceof X402Error) return null;
    throw error;
  }
}

function chainIdOrNull(network: Network): number | null {
  try {
    return chainIdOf(network);
  } catch (error) {
    if (error instanceof X402Error) return null;
    throw error;
  }
}

function isEip3009Method(extra: JsonObject | null): boolean {
  const method = extra?.['assetTransferMethod'];
  return method === undefined || method === null || method === EIP3009_TRANSFER_METHOD;
}

function isDomainText(value: JsonValue | undefined): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= IDENTIFIER_LENGTH_CHARS_MAX;
}

function eip712DomainOf(extra: JsonObject | null): Eip712DomainNaming | null {
  const name = extra?.['name'];
  const version = extra?.['version'];
  return isDomainText(name) && isDomainText(version) ? { name, version } : null;
}
