// Structural schemas of a 402 answer, v2 (PAYMENT-REQUIRED header) and v1 (JSON body).
//
// Why our own zod 4 schemas rather than `@x402/core/schemas`: those are zod 3 (a second zod
// runtime in our types), and they are deliberately permissive: unbounded strings, any positive
// (even fractional) `maxTimeoutSeconds`, any non-empty `amount`, unbounded `accepts`. These are
// stricter on bounds and looser on nothing that reference servers emit: they keep unknown keys
// (`z.looseObject`, so newer fields such as `serviceName` survive) and take `null` wherever the
// reference schemas tolerate it. The schemas only validate; the document we keep and echo is the
// frozen original, never zod's output, so nothing is reordered, stripped or coerced.
import { z } from 'zod';

import {
  ACCEPTS_COUNT_MAX,
  IDENTIFIER_LENGTH_CHARS_MAX,
  MAX_TIMEOUT_SECONDS_MAX,
  MAX_TIMEOUT_SECONDS_MIN,
  TEXT_LENGTH_CHARS_MAX,
  URL_LENGTH_CHARS_MAX,
} from './x402.limits';

const identifier = z.string().min(1).max(IDENTIFIER_LENGTH_CHARS_MAX);
const url = z.string().min(1).max(URL_LENGTH_CHARS_MAX);
const optionalText = z.string().max(TEXT_LENGTH_CHARS_MAX).nullish();
const optionalRecord = z.record(z.string(), z.unknown()).nullish();

// Amounts are validated by `parseAtomicAmount` afterwards, so every problem with a present amount
// (a number, hex, an exponent, 2^256) reports the one code `invalid_amount` with its path. A missing
// amount is a structural error (zod 4 treats a missing `unknown` key as missing).
const amount = z.unknown();

/** Bounded seconds a seller gives the payer to settle, 1..86 400. */
export const MaxTimeoutSecondsSchema = z.int().min(MAX_TIMEOUT_SECONDS_MIN).max(MAX_TIMEOUT_SECONDS_MAX);

/** v2 ResourceInfo: what is being bought. */
export const ResourceInfoSchema = z.looseObject({
  url,
  description: optionalText,
  mimeType: optionalText,
});

/** v2 PaymentRequirements (one entry of `accepts`). */
export const PaymentRequirementsV2Schema = z.looseObject({
  scheme: identifier,
  // Only bounded here: a malformed or non-EVM network makes one option unpayable, not the document
  // invalid, so the caller can still explain what was offered.
  network: identifier,
  amount,
  asset: identifier,
  payTo: identifier,
  maxTimeoutSeconds: MaxTimeoutSecondsSchema,
  extra: optionalRecord,
});

/** v2 PaymentRequired (the decoded `PAYMENT-REQUIRED` header). */
export const PaymentRequiredV2Schema = z.looseObject({
  x402Version: z.literal(2),
  error: optionalText,
  resource: ResourceInfoSchema,
  accepts: z.array(z.unknown()).min(1).max(ACCEPTS_COUNT_MAX),
  extensions: optionalRecord,
});

/** v1 PaymentRequirements: v2 plus the per-option resource, `maxAmountRequired` for the amount. */
export const PaymentRequirementsV1Schema = z.looseObject({
  scheme: identifier,
  network: identifier,
  maxAmountRequired: amount,
  resource: url,
  // The v1 spec requires a description; reference Python sellers send "" and some send nothing,
  // and we never use it, so its absence does not make a document unpayable.
  description: optionalText,
  mimeType: optionalText,
  outputSchema: optionalRecord,
  asset: identifier,
  payTo: identifier,
  maxTimeoutSeconds: MaxTimeoutSecondsSchema,
  extra: optionalRecord,
});

/** v1 PaymentRequirementsResponse (the JSON body of a v1 402). */
export const PaymentRequiredV1Schema = z.looseObject({
  x402Version: z.literal(1),
  error: optionalText,
  accepts: z.array(z.unknown()).min(1).max(ACCEPTS_COUNT_MAX),
});
