// What the agent retries with: the PaymentPayload around a signed EIP-3009 authorization.
import type { PaymentPayload, PaymentPayloadV1, PaymentRequired } from '@x402/core/types';
import type { Hex } from 'viem';

import { cloneBoundedJson, isJsonObject, type JsonObject, type JsonValue } from './bounded-json';
import { checksummedAddressOrNull } from './evm-address.util';
import type { NormalizedPaymentRequired, NormalizedRequirement } from './normalized-payment-required';
import {
  isValidPaymentIdentifier,
  PAYMENT_IDENTIFIER_EXTENSION,
  paymentIdentifierOf,
} from './payment-identifier';
import type { TransferAuthorization } from './transfer-authorization';
import {
  InvalidArgumentError,
  InvalidPaymentIdentifierError,
  PaymentIdentifierRequiredError,
  RequirementNotPayableError,
} from './x402.errors';
import { PAYMENT_REQUIRED_BODY_LENGTH_CHARS_MAX, SIGNATURE_LENGTH_HEX_CHARS_MAX } from './x402.limits';

/** A v1 PaymentPayload as it travels (`network` is a v1 name, not the CAIP-2 `@x402/core` types it as). */
export type PaymentPayloadV1Wire = Omit<PaymentPayloadV1, 'network'> & { network: string };

/** A PaymentPayload of either version. */
export type X402PaymentPayload = PaymentPayload | PaymentPayloadV1Wire;

/** The `payload` of an `exact` EVM payment signed with EIP-3009. */
export interface ExactEvmPayload {
  readonly signature: Hex;
  readonly authorization: TransferAuthorization;
}

/** Parameters of `buildPaymentPayload`. */
export interface BuildPaymentPayloadParams {
  readonly paymentRequired: NormalizedPaymentRequired;
  /** The chosen option: one of `paymentRequired.accepts` (the same object). */
  readonly requirement: NormalizedRequirement;
  /** The authorization `buildTransferAuthorization` produced for `requirement`. */
  readonly authorization: TransferAuthorization;
  /** The EIP-712 signature over the authorization's typed data. */
  readonly signature: Hex;
  /**
   * The id for a declared `payment-identifier` extension (e.g. the purchase's idempotency key, so
   * a retry carries the same id). Ignored when the seller declared no such extension, as the
   * reference client only echoes declared extensions.
   */
  readonly paymentIdentifier?: string;
  /**
   * Fields the client adds to declared extensions, by extension key (v2 only). They are merged
   * into the seller's declaration; they may add fields but never change one the seller set.
   */
  readonly extensions?: Readonly<Record<string, unknown>>;
}

/**
 * Builds the PaymentPayload to retry with. v2: `{ x402Version: 2, resource, accepted, payload,
 * extensions? }` where `accepted` is the seller's requirement object verbatim (the reference server
 * deep-equals it) and `resource` is the seller's `resource` verbatim; declared extensions are echoed
 * with the client's additions. v1: `{ x402Version: 1, scheme, network: <v1 name>, payload }`.
 *
 * Throws `invalid_argument` (requirement not from this document, authorization not matching it,
 * malformed signature, undeclared or conflicting extension data), `invalid_payment_identifier`,
 * `payment_identifier_required`, or the requirement's unsupported reason.
 */
export function buildPaymentPayload(params: BuildPaymentPayloadParams): X402PaymentPayload {
  const { paymentRequired, requirement, authorization, signature } = params;
  assertRequirementOfDocument({ paymentRequired, requirement });
  assertAuthorizationMatches({ requirement, authorization, signature });
  const payload = { signature, authorization: { ...authorization } };
  if (paymentRequired.x402Version === 1) {
    return { x402Version: 1, scheme: requirement.scheme, network: requirement.networkAsGiven, payload };
  }
  // Version 2 documents are always stored with their v2 wire type; the version check above narrows it.
  const raw = paymentRequired.raw as PaymentRequired;
  const extensions = echoExtensions(params);
  return {
    x402Version: 2,
    resource: raw.resource,
    accepted: requirement.raw as PaymentPayload['accepted'],
    payload,
    ...(extensions === null ? {} : { extensions }),
  };
}

function assertRequirementOfDocument(params: {
  paymentRequired: NormalizedPaymentRequired;
  requirement: NormalizedRequirement;
}): void {
  const { paymentRequired, requirement } = params;
  // Identity, not equality: the requirement must come from this very decode, so `accepted` is
  // guaranteed to be the seller's object and not a look-alike assembled elsewhere.
  if (paymentRequired.accepts[requirement.index] !== requirement) {
    throw new InvalidArgumentError({ argument: 'requirement', detail: 'not one of paymentRequired.accepts' });
  }
  if (!requirement.supported) {
    throw new RequirementNotPayableError({ reason: requirement.unsupportedReason, index: requirement.index });
  }
}

function assertAuthorizationMatches(params: {
  requirement: NormalizedRequirement;
  authorization: TransferAuthorization;
  signature: Hex;
}): void {
  const { requirement, authorization, signature } = params;
  // A payload whose authorization pays someone else, or another amount, is money lost or a
  // rejected payment; catch the mix-up here rather than at the seller's facilitator.
  if (authorization.to !== requirement.payToAddress) {
    throw new InvalidArgumentError({
      argument: 'authorization.to',
      detail: 'differs from the requirement payTo',
    });
  }
  if (authorization.value !== requirement.amountAtomic.toString(10)) {
    throw new InvalidArgumentError({
      argument: 'authorization.value',
      detail: 'differs from the required amount',
    });
  }
  if (checksummedAddressOrNull(authorization.from) !== authorization.from) {
    throw new InvalidArgumentError({
      argument: 'authorization.from',
      detail: 'expected a checksummed address',
    });
  }
  const hexLength = typeof signature === 'string' ? signature.length - 2 : -1;
  if (
    hexLength <= 0 ||
    hexLength > SIGNATURE_LENGTH_HEX_CHARS_MAX ||
    !/^0x(?:[0-9a-fA-F]{2})+$/.test(signature)
  ) {
    throw new InvalidArgumentError({ argument: 'signature', detail: 'expected 0x-prefixed hex bytes' });
  }
}

function echoExtensions(params: BuildPaymentPayloadParams): JsonObject | null {
  const declared = params.paymentRequired.extensions;
  const additions = additionsOf(params);
  if (declared === null) {
    if (Object.keys(additions).length > 0) {
      throw new InvalidArgumentError({ argument: 'extensions', detail: 'the seller declared no extensions' });
    }
    return null;
  }
  const echoed: Record<string, JsonValue> = { ...declared };
  for (const [key, addition] of Object.entries(additions)) {
    const server = declared[key];
    if (server === undefined) {
      throw new InvalidArgumentError({
        argument: `extensions.${key}`,
        detail: 'the seller did not declare it',
      });
    }
    echoed[key] = mergeAdditive({ server, client: addition, path: `extensions.${key}` });
  }
  return echoed;
}

function additionsOf(params: BuildPaymentPayloadParams): Record<string, JsonValue> {
  const cloned =
    params.extensions === undefined
      ? {}
      : cloneBoundedJson({
          value: params.extensions,
          lengthCharsMax: PAYMENT_REQUIRED_BODY_LENGTH_CHARS_MAX,
        });
  if (!isJsonObject(cloned)) {
    throw new InvalidArgumentError({ argument: 'extensions', detail: 'expected an object' });
  }
  const additions: Record<string, JsonValue> = { ...cloned };
  const declaration = paymentIdentifierOf(params.paymentRequired);
  if (declaration === null) return additions;
  const id = params.paymentIdentifier ?? declaration.id;
  if (id === undefined || id === null) {
    if (declaration.required) throw new PaymentIdentifierRequiredError();
    return additions;
  }
  if (!isValidPaymentIdentifier(id)) {
    throw new InvalidPaymentIdentifierError({ detail: 'expected 16-128 characters of [A-Za-z0-9_-]' });
  }
  if (declaration.id !== null && declaration.id !== id) {
    throw new InvalidPaymentIdentifierError({ detail: 'the seller already fixed a different id' });
  }
  const existing = additions[PAYMENT_IDENTIFIER_EXTENSION];
  additions[PAYMENT_IDENTIFIER_EXTENSION] = mergeAdditive({
    server: existing ?? {},
    client: { info: { id } },
    path: `extensions.${PAYMENT_IDENTIFIER_EXTENSION}`,
  });
  return additions;
}

// Merges `client` into `server`: objects merge key by key, anything else must be equal. The
// x402 rule for echoed extensions is that the client may add fields but not change the seller's.
function mergeAdditive(params: { server: JsonValue; client: JsonValue; path: string }): JsonValue {
  const { server, client, path } = params;
  if (isJsonObject(server) && isJsonObject(client)) {
    const merged: Record<string, JsonValue> = { ...server };
    for (const [key, value] of Object.entries(client)) {
      const existing = server[key];
      merged[key] =
        existing === undefined
          ? value
          : mergeAdditive({ server: existing, client: value, path: `${path}.${key}` });
    }
    return merged;
  }
  if (JSON.stringify(server) !== JSON.stringify(client)) {
    throw new InvalidArgumentError({ argument: path, detail: 'would change a field the seller set' });
  }
  return server;
}
