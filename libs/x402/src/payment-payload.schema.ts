// Structural schemas of what a client retries with (PaymentPayload v2 / v1) and of the exact-EVM
// `payload` inside it. Same policy as payment-required.schema.ts: zod 4, bounded, unknown keys kept,
// validation only (the frozen original is what callers get back).
import { z } from 'zod';

import { PaymentRequirementsV2Schema, ResourceInfoSchema } from './payment-required.schema';
import {
  ERROR_MESSAGE_LENGTH_CHARS_MAX,
  IDENTIFIER_LENGTH_CHARS_MAX,
  SIGNATURE_LENGTH_HEX_CHARS_MAX,
} from './x402.limits';

const identifier = z.string().min(1).max(IDENTIFIER_LENGTH_CHARS_MAX);
const record = z.record(z.string(), z.unknown());

/** v2 PaymentPayload (the decoded `PAYMENT-SIGNATURE` header). */
export const PaymentPayloadV2Schema = z.looseObject({
  x402Version: z.literal(2),
  resource: ResourceInfoSchema.nullish(),
  accepted: PaymentRequirementsV2Schema,
  payload: record,
  extensions: record.nullish(),
});

/** v1 PaymentPayload (the decoded `X-PAYMENT` header). */
export const PaymentPayloadV1Schema = z.looseObject({
  x402Version: z.literal(1),
  scheme: identifier,
  network: identifier,
  payload: record,
});

// Any 20-byte hex address; checksum policy is the verifier's business (the reference compares
// checksummed forms), and the payload's exact strings are what the signature covers anyway.
const address = z.string().regex(/^0x[0-9a-fA-F]{40}$/, 'expected a 20-byte hex address');
// Canonical decimal uint256 shape; the range is checked with parseAtomicAmount afterwards.
const decimal = z.string().regex(/^(?:0|[1-9][0-9]{0,77})$/, 'expected a canonical decimal string');

/** The `payload` of an `exact` EVM payment signed with EIP-3009. */
export const ExactEvmPayloadSchema = z.looseObject({
  signature: z
    .string()
    .max(SIGNATURE_LENGTH_HEX_CHARS_MAX + 2)
    .regex(/^0x(?:[0-9a-fA-F]{2})+$/, 'expected 0x-prefixed hex bytes'),
  authorization: z.looseObject({
    from: address,
    to: address,
    value: decimal,
    validAfter: decimal,
    validBefore: decimal,
    nonce: z.string().regex(/^0x[0-9a-fA-F]{64}$/, 'expected 32 bytes as 0x-hex'),
  }),
});

/** A SettleResponse (the decoded `PAYMENT-RESPONSE` / `X-PAYMENT-RESPONSE` header). */
export const SettleResponseSchema = z.looseObject({
  success: z.boolean(),
  // Mandatory even on failure (`""`); the reference client rejects a settle reply without it.
  transaction: z.string().max(IDENTIFIER_LENGTH_CHARS_MAX),
  network: identifier,
  errorReason: z.string().max(IDENTIFIER_LENGTH_CHARS_MAX).nullish(),
  errorMessage: z.string().max(ERROR_MESSAGE_LENGTH_CHARS_MAX).nullish(),
  payer: z.string().max(IDENTIFIER_LENGTH_CHARS_MAX).nullish(),
  amount: decimal.nullish(),
  extensions: record.nullish(),
  extra: record.nullish(),
});
