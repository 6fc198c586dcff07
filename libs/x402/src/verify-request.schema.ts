// Structural schemas of what a seller sends its facilitator (`POST /verify`, later `/settle`).
// Deliberately only as strict as verification needs: the reference facilitator reads
// `accepted.scheme` and `accepted.network` of the payload and the scheme, network, amount, asset,
// payTo and `extra` of the requirements, so a field it ignores never turns a payment into a 400
// here. Unknown keys are kept (`z.looseObject`); bounds come from the x402 limits.
import { z } from 'zod';

import { IDENTIFIER_LENGTH_CHARS_MAX } from './x402.limits';

const identifier = z.string().min(1).max(IDENTIFIER_LENGTH_CHARS_MAX);
const record = z.record(z.string(), z.unknown());

/** The envelope: the version is checked apart, so an unknown one gets its own code. */
export const VerifyRequestEnvelopeSchema = z.looseObject({
  x402Version: z.unknown(),
  paymentPayload: record,
  paymentRequirements: record,
});

/** A v2 PaymentPayload as far as verify reads it. */
export const VerifyPayloadV2Schema = z.looseObject({
  x402Version: z.literal(2),
  accepted: z.looseObject({ scheme: identifier, network: identifier }),
  payload: record,
});

/** A v1 PaymentPayload as far as verify reads it. */
export const VerifyPayloadV1Schema = z.looseObject({
  x402Version: z.literal(1),
  scheme: identifier,
  network: identifier,
  payload: record,
});

// Amounts are parsed by `parseAtomicAmount` afterwards (one `invalid_amount` code with its path);
// addresses by `checksummedAddressOrNull` (a mixed-case address with a wrong checksum is corrupt).
const requirementsBase = {
  scheme: identifier,
  network: identifier,
  asset: identifier,
  payTo: identifier,
  extra: record.nullish(),
};

/** v2 PaymentRequirements as far as verify reads them. */
export const VerifyRequirementsV2Schema = z.looseObject({ ...requirementsBase, amount: z.unknown() });

/** v1 PaymentRequirements as far as verify reads them. */
export const VerifyRequirementsV1Schema = z.looseObject({
  ...requirementsBase,
  maxAmountRequired: z.unknown(),
});
