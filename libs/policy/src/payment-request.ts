import { normalizeHost } from './host-pattern.util';
import { normalizePath } from './path-pattern.util';
import { PaymentRequestInvalidError } from './policy.errors';
import { ASSET_DECIMALS_MAX, ATOMIC_AMOUNT_MAX, PAYMENT_URL_LENGTH_MAX } from './policy.limits';
import { type Rational, usdValueOfAtomic } from './rational.util';

/** The USD price of an asset: USD per whole token, and the token's decimals. */
export interface UsdRate {
  /** USD per whole token (10^decimals atomic units); build it from a string with `parseDecimal`. */
  readonly usdPerUnit: Rational;
  readonly decimals: number;
}

/** The payment the engine decides on: what the agent was calling and what it would pay. */
export interface PaymentRequest {
  /** Absolute http(s) URL of the resource being bought. */
  readonly url: string;
  /** HTTP method of the request being paid for. */
  readonly method: string;
  readonly payTo: string;
  /** CAIP-2 network id. */
  readonly network: string;
  readonly asset: string;
  readonly amountAtomic: bigint;
  /** The asset's USD rate when the caller knows one; USD rules skip payments without it. */
  readonly usdRate?: UsdRate;
}

/** A payment request after validation, with the URL split into the parts rules look at. */
export interface NormalizedPayment {
  readonly host: string;
  readonly path: string;
  readonly method: string;
  readonly payTo: string;
  readonly network: string;
  readonly asset: string;
  readonly amountAtomic: bigint;
  readonly usdValue: Rational | undefined;
}

const HTTP_PROTOCOLS = new Set(['http:', 'https:']);

/**
 * Validates a payment request and splits its URL with the WHATWG parser (host lower-cased, IDNA
 * applied, dot segments resolved). Throws `PaymentRequestInvalidError` (`payment_request_invalid`).
 */
export function normalizePayment(request: PaymentRequest): NormalizedPayment {
  const url = parseResourceUrl(request.url);
  if (request.amountAtomic < 0n || request.amountAtomic > ATOMIC_AMOUNT_MAX) {
    throw new PaymentRequestInvalidError({ field: 'amountAtomic', detail: 'must be within 0 and 2^256 - 1' });
  }
  return {
    host: normalizeHost(url.hostname),
    path: normalizePath(url.pathname),
    method: request.method.toUpperCase(),
    payTo: request.payTo,
    network: request.network,
    asset: request.asset,
    amountAtomic: request.amountAtomic,
    usdValue: request.usdRate === undefined ? undefined : usdValueOf(request.amountAtomic, request.usdRate),
  };
}

function parseResourceUrl(value: string): URL {
  if (value.length > PAYMENT_URL_LENGTH_MAX) {
    throw new PaymentRequestInvalidError({
      field: 'url',
      detail: `longer than ${PAYMENT_URL_LENGTH_MAX} characters`,
    });
  }
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new PaymentRequestInvalidError({ field: 'url', detail: 'is not an absolute URL' });
  }
  if (!HTTP_PROTOCOLS.has(url.protocol) || url.hostname === '') {
    throw new PaymentRequestInvalidError({
      field: 'url',
      detail: 'must be an http or https URL with a host',
    });
  }
  return url;
}

function usdValueOf(amountAtomic: bigint, rate: UsdRate): Rational {
  if (!Number.isInteger(rate.decimals) || rate.decimals < 0 || rate.decimals > ASSET_DECIMALS_MAX) {
    throw new PaymentRequestInvalidError({
      field: 'usdRate.decimals',
      detail: `must be an integer 0-${ASSET_DECIMALS_MAX}`,
    });
  }
  if (rate.usdPerUnit.denominator <= 0n || rate.usdPerUnit.numerator < 0n) {
    throw new PaymentRequestInvalidError({
      field: 'usdRate.usdPerUnit',
      detail: 'must be a non-negative fraction with a positive denominator',
    });
  }
  return usdValueOfAtomic({ amountAtomic, usdPerUnit: rate.usdPerUnit, decimals: rate.decimals });
}
