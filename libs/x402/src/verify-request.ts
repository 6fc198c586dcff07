// What a seller asks its facilitator to verify, decoded once under hostile-input limits into the
// one shape the verify checks read, for v2 and v1 alike.
import type { Address, Hex } from 'viem';

import { parseAtomicAmount } from './atomic-amount';
import { cloneBoundedJson, isJsonObject, type JsonObject } from './bounded-json';
import { checksummedAddressOrNull } from './evm-address.util';
import { ExactEvmPayloadSchema } from './payment-payload.schema';
import type { TransferAuthorization } from './transfer-authorization';
import {
  VerifyPayloadV1Schema,
  VerifyPayloadV2Schema,
  VerifyRequestEnvelopeSchema,
  VerifyRequirementsV1Schema,
  VerifyRequirementsV2Schema,
} from './verify-request.schema';
import { V1_NETWORK_CHAIN_IDS, chainIdOf } from './x402-network';
import {
  InvalidFacilitatorRequestError,
  InvalidPaymentPayloadError,
  InvalidPaymentRequirementsError,
  UnsupportedVersionError,
  X402Error,
} from './x402.errors';
import { FACILITATOR_REQUEST_LENGTH_CHARS_MAX } from './x402.limits';
import { toX402Issues } from './zod-issues.util';

/** The requirements a payment is verified against, normalized across versions. */
export interface VerifyRequirements {
  readonly scheme: string;
  /** As the seller wrote it: a CAIP-2 id (v2) or a v1 name such as `base-sepolia`. */
  readonly network: string;
  /** `amount` (v2) or `maxAmountRequired` (v1), in atomic units. */
  readonly amountAtomic: bigint;
  /** The token, EIP-55 checksummed (the EIP-712 `verifyingContract`). */
  readonly asset: Address;
  /** The payee, EIP-55 checksummed. */
  readonly payTo: Address;
  readonly extra: JsonObject | null;
}

/** An EIP-3009 payment: the signature and the authorization exactly as sent. */
export interface Eip3009Payment {
  readonly kind: 'eip3009';
  readonly signature: Hex;
  /** Strings as the client sent them (addresses in any valid case); the signature covers them. */
  readonly authorization: TransferAuthorization;
}

/** A payment of a kind Proco does not verify (a Permit2 authorization). */
export interface UnsupportedPayment {
  readonly kind: 'unsupported';
  /** Its `from`, when it names one. */
  readonly payer: string | null;
}

/** A decoded verify request. */
export interface VerifyRequest<
  Payment extends Eip3009Payment | UnsupportedPayment = Eip3009Payment | UnsupportedPayment,
> {
  readonly x402Version: 1 | 2;
  /** `accepted.scheme` (v2) or `scheme` (v1) of the payment payload. */
  readonly payloadScheme: string;
  /** `accepted.network` (v2) or `network` (v1) of the payment payload. */
  readonly payloadNetwork: string;
  readonly requirements: VerifyRequirements;
  readonly payment: Payment;
}

/** A verify request carrying an EIP-3009 authorization. */
export type Eip3009VerifyRequest = VerifyRequest<Eip3009Payment>;

/**
 * Decodes a facilitator request body `{ x402Version, paymentPayload, paymentRequirements }` (v2 or
 * v1). The top-level version must equal the payload's, as the reference client sends it. Only the
 * fields verification reads are required; the payload must be an EIP-3009 authorization (canonical
 * decimal uint256 numbers, 20-byte addresses, a 32-byte nonce, hex signature) unless it is a
 * Permit2 one, which decodes as `unsupported`.
 *
 * Throws `invalid_json`, `invalid_facilitator_request`, `unsupported_version`,
 * `invalid_payment_payload`, `invalid_payment_requirements`, `invalid_amount`.
 */
export function parseVerifyRequest(body: unknown): VerifyRequest {
  if (body === undefined) {
    throw new InvalidFacilitatorRequestError({ issues: [{ path: '$', message: 'a JSON body is required' }] });
  }
  const document = cloneBoundedJson({ value: body, lengthCharsMax: FACILITATOR_REQUEST_LENGTH_CHARS_MAX });
  const envelope = VerifyRequestEnvelopeSchema.safeParse(document);
  if (!envelope.success) {
    throw new InvalidFacilitatorRequestError({
      issues: toX402Issues({ error: envelope.error, basePath: '$' }),
    });
  }
  const { paymentPayload, paymentRequirements } = envelope.data;
  const x402Version = versionOf(envelope.data.x402Version);
  if (paymentPayload['x402Version'] !== x402Version) {
    throw new InvalidFacilitatorRequestError({
      issues: [
        { path: '$.paymentPayload.x402Version', message: `expected ${x402Version}, the request's version` },
      ],
    });
  }
  const { scheme, network, payload } = payloadPartsOf({ paymentPayload, x402Version });
  return {
    x402Version,
    payloadScheme: scheme,
    payloadNetwork: network,
    requirements: requirementsOf({ paymentRequirements, x402Version }),
    payment: paymentOf(payload),
  };
}

function versionOf(version: unknown): 1 | 2 {
  if (version === 1 || version === 2) return version;
  if (typeof version === 'number') {
    throw new UnsupportedVersionError({ x402Version: version, detail: 'only x402 versions 1 and 2 exist' });
  }
  throw new InvalidFacilitatorRequestError({
    issues: [{ path: '$.x402Version', message: 'expected the number 1 or 2' }],
  });
}

function payloadPartsOf(params: { paymentPayload: Record<string, unknown>; x402Version: 1 | 2 }): {
  scheme: string;
  network: string;
  payload: Record<string, unknown>;
} {
  const { paymentPayload, x402Version } = params;
  if (x402Version === 2) {
    const parsed = VerifyPayloadV2Schema.safeParse(paymentPayload);
    if (!parsed.success) throw invalidPayload(parsed.error);
    return { ...parsed.data.accepted, payload: parsed.data.payload };
  }
  const parsed = VerifyPayloadV1Schema.safeParse(paymentPayload);
  if (!parsed.success) throw invalidPayload(parsed.error);
  return parsed.data;
}

function invalidPayload(error: Parameters<typeof toX402Issues>[0]['error']): InvalidPaymentPayloadError {
  return new InvalidPaymentPayloadError({ issues: toX402Issues({ error, basePath: '$.paymentPayload' }) });
}

const PAYLOAD_PATH = '$.paymentPayload.payload';

function paymentOf(payload: Record<string, unknown>): Eip3009Payment | UnsupportedPayment {
  // The reference routes on this key before any check; Proco implements EIP-3009 only.
  if (Object.hasOwn(payload, 'permit2Authorization')) {
    const permit = payload['permit2Authorization'];
    const from = isJsonObject(permit) ? permit['from'] : undefined;
    return { kind: 'unsupported', payer: typeof from === 'string' ? from : null };
  }
  const parsed = ExactEvmPayloadSchema.safeParse(payload);
  if (!parsed.success) {
    throw new InvalidPaymentPayloadError({
      issues: toX402Issues({ error: parsed.error, basePath: PAYLOAD_PATH }),
    });
  }
  const { signature, authorization } = parsed.data;
  // The schema fixed the shape; the range (< 2^256) is parseAtomicAmount's.
  for (const field of ['value', 'validAfter', 'validBefore'] as const) {
    parseAtomicAmount(authorization[field], { path: `${PAYLOAD_PATH}.authorization.${field}` });
  }
  return {
    kind: 'eip3009',
    signature: signature as Hex,
    authorization: {
      from: authorization.from as Address,
      to: authorization.to as Address,
      value: authorization.value,
      validAfter: authorization.validAfter,
      validBefore: authorization.validBefore,
      nonce: authorization.nonce as Hex,
    },
  };
}

const REQUIREMENTS_PATH = '$.paymentRequirements';

function requirementsOf(params: {
  paymentRequirements: Record<string, unknown>;
  x402Version: 1 | 2;
}): VerifyRequirements {
  const { paymentRequirements, x402Version } = params;
  const schema = x402Version === 2 ? VerifyRequirementsV2Schema : VerifyRequirementsV1Schema;
  const parsed = schema.safeParse(paymentRequirements);
  if (!parsed.success) {
    throw new InvalidPaymentRequirementsError({
      issues: toX402Issues({ error: parsed.error, basePath: REQUIREMENTS_PATH }),
    });
  }
  const amountField = x402Version === 2 ? 'amount' : 'maxAmountRequired';
  const amountAtomic = parseAtomicAmount(paymentRequirements[amountField], {
    path: `${REQUIREMENTS_PATH}.${amountField}`,
  });
  const asset = checksummedAddressOrNull(parsed.data.asset);
  const payTo = checksummedAddressOrNull(parsed.data.payTo);
  const issues = [
    ...(asset === null
      ? [{ path: `${REQUIREMENTS_PATH}.asset`, message: 'expected a 20-byte hex address' }]
      : []),
    ...(payTo === null
      ? [{ path: `${REQUIREMENTS_PATH}.payTo`, message: 'expected a 20-byte hex address' }]
      : []),
  ];
  if (asset === null || payTo === null) throw new InvalidPaymentRequirementsError({ issues });
  const extra = paymentRequirements['extra'];
  return {
    scheme: parsed.data.scheme,
    network: parsed.data.network,
    amountAtomic,
    asset,
    payTo,
    extra: isJsonObject(extra) ? extra : null,
  };
}

/**
 * The EVM chain id the requirements' network names (a CAIP-2 `eip155:<id>` for v2, a name from
 * `V1_NETWORK_CHAIN_IDS` for v1), or null when it names none.
 */
export function requirementsChainIdOf(
  request: Pick<VerifyRequest, 'x402Version' | 'requirements'>,
): number | null {
  const { network } = request.requirements;
  if (request.x402Version === 1) {
    return Object.hasOwn(V1_NETWORK_CHAIN_IDS, network) ? (V1_NETWORK_CHAIN_IDS[network] ?? null) : null;
  }
  try {
    return chainIdOf(network);
  } catch (error) {
    if (error instanceof X402Error) return null;
    throw error;
  }
}

/** Who pays: the authorization's `from` as sent (the reference answers it as `payer`). */
export function payerOf(request: VerifyRequest): string | null {
  return request.payment.kind === 'eip3009' ? request.payment.authorization.from : request.payment.payer;
}
