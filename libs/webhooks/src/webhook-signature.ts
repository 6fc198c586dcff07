import { createHmac, timingSafeEqual } from 'node:crypto';

/** The header carrying a delivery's signatures: `t=<unix seconds>,v1=<hex>[,v1=<hex>]`. */
export const WEBHOOK_SIGNATURE_HEADER = 'Proco-Signature';
/** The signature scheme, as named in the header. */
export const WEBHOOK_SIGNATURE_SCHEME = 'v1';
/**
 * How far a signature's timestamp may be from the receiver's clock. A captured request replayed
 * later than this is refused, whatever its signature; receivers that also remember event ids
 * refuse replays inside the window too.
 */
export const WEBHOOK_SIGNATURE_TOLERANCE_SECONDS = 300;
/** The longest header `verifyWebhookSignature` reads; a real one is under 200 characters. */
export const WEBHOOK_SIGNATURE_HEADER_LENGTH_MAX = 1_024;
/** Signatures one header may carry (two during a secret rotation). */
export const WEBHOOK_SIGNATURES_PER_HEADER_MAX = 4;

const HEX_SIGNATURE_PATTERN = /^[0-9a-f]{64}$/;
const TIMESTAMP_PATTERN = /^[0-9]{1,12}$/;

export type WebhookBody = string | Uint8Array;

export interface SignWebhookParams {
  /** The endpoint's signing secret, `whsec_…`, used as the HMAC key as it is written (UTF-8). */
  readonly secret: string;
  readonly timestampSeconds: number;
  /** The exact bytes of the request body. */
  readonly body: WebhookBody;
}

/** HMAC-SHA256 of `"<timestamp>.<body>"` under `secret`, as lowercase hex. */
export function webhookSignatureOf(params: SignWebhookParams): string {
  const hmac = createHmac('sha256', params.secret);
  hmac.update(`${params.timestampSeconds}.`, 'utf8');
  hmac.update(typeof params.body === 'string' ? Buffer.from(params.body, 'utf8') : params.body);
  return hmac.digest('hex');
}

export interface WebhookSignatureHeaderParams {
  /** Every secret currently valid for the endpoint: the new one first during a rotation. */
  readonly secrets: readonly string[];
  readonly timestampSeconds: number;
  readonly body: WebhookBody;
}

/** The `Proco-Signature` value: the timestamp, then one `v1=` signature per secret. */
export function webhookSignatureHeaderOf(params: WebhookSignatureHeaderParams): string {
  if (params.secrets.length === 0 || params.secrets.length > WEBHOOK_SIGNATURES_PER_HEADER_MAX) {
    throw new RangeError(`Sign with 1 to ${WEBHOOK_SIGNATURES_PER_HEADER_MAX} secrets.`);
  }
  const signatures = params.secrets.map(
    (secret) =>
      `${WEBHOOK_SIGNATURE_SCHEME}=${webhookSignatureOf({ secret, timestampSeconds: params.timestampSeconds, body: params.body })}`,
  );
  return [`t=${params.timestampSeconds}`, ...signatures].join(',');
}

export interface VerifyWebhookSignatureParams {
  readonly secret: string;
  /** The `Proco-Signature` header as received. */
  readonly header: string;
  /** The raw request body, byte for byte as received (not re-serialised JSON). */
  readonly body: WebhookBody;
  /** The receiver's clock, in unix seconds. */
  readonly nowSeconds: number;
  readonly toleranceSeconds?: number;
}

/** Why a signature was refused, in the order the checks run. */
export type WebhookSignatureFailure =
  'malformed_header' | 'timestamp_outside_tolerance' | 'signature_mismatch';

export type VerifyWebhookSignatureResult =
  | { readonly ok: true; readonly timestampSeconds: number }
  | { readonly ok: false; readonly reason: WebhookSignatureFailure };

/**
 * Checks a delivery's `Proco-Signature` against the endpoint's secret: the header must parse, its
 * timestamp be within `toleranceSeconds` of `nowSeconds` (replays of old requests fail), and one
 * of its `v1` signatures equal the HMAC of `"<t>.<body>"` (compared in constant time).
 */
export function verifyWebhookSignature(params: VerifyWebhookSignatureParams): VerifyWebhookSignatureResult {
  const parsed = parseSignatureHeader(params.header);
  if (parsed === undefined) return { ok: false, reason: 'malformed_header' };
  const tolerance = params.toleranceSeconds ?? WEBHOOK_SIGNATURE_TOLERANCE_SECONDS;
  if (Math.abs(params.nowSeconds - parsed.timestampSeconds) > tolerance) {
    return { ok: false, reason: 'timestamp_outside_tolerance' };
  }
  const expected = Buffer.from(
    webhookSignatureOf({
      secret: params.secret,
      timestampSeconds: parsed.timestampSeconds,
      body: params.body,
    }),
    'hex',
  );
  // Every candidate is compared, so the time taken does not tell which one matched.
  let matched = false;
  for (const signature of parsed.signatures) {
    if (timingSafeEqual(expected, Buffer.from(signature, 'hex'))) matched = true;
  }
  return matched
    ? { ok: true, timestampSeconds: parsed.timestampSeconds }
    : { ok: false, reason: 'signature_mismatch' };
}

interface ParsedSignatureHeader {
  readonly timestampSeconds: number;
  readonly signatures: readonly string[];
}

function parseSignatureHeader(header: string): ParsedSignatureHeader | undefined {
  if (header.length === 0 || header.length > WEBHOOK_SIGNATURE_HEADER_LENGTH_MAX) return undefined;
  let timestampSeconds: number | undefined;
  const signatures: string[] = [];
  for (const part of header.split(',')) {
    const separator = part.indexOf('=');
    if (separator <= 0) return undefined;
    const key = part.slice(0, separator).trim();
    const value = part.slice(separator + 1).trim();
    if (key === 't') {
      if (timestampSeconds !== undefined || !TIMESTAMP_PATTERN.test(value)) return undefined;
      timestampSeconds = Number(value);
    } else if (key === WEBHOOK_SIGNATURE_SCHEME) {
      // Other schemes are skipped, so a future scheme can be added beside v1.
      if (!HEX_SIGNATURE_PATTERN.test(value)) return undefined;
      signatures.push(value);
    }
  }
  if (timestampSeconds === undefined || signatures.length === 0) return undefined;
  if (signatures.length > WEBHOOK_SIGNATURES_PER_HEADER_MAX) return undefined;
  return { timestampSeconds, signatures };
}
