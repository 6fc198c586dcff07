// The one shape the rest of Proco reads a 402 in, whatever version and transport it came in.
import type { Network, PaymentRequired, PaymentRequirements, PaymentRequiredV1 } from '@x402/core/types';
import type { Address } from 'viem';

import type { JsonObject } from './bounded-json';
import type { RequirementUnsupportedReason } from './x402.reasons';

/**
 * A v1 requirement as it travels. `@x402/core` types v1 `network` as a CAIP-2 template string,
 * but v1 carries names such as `base-sepolia`, so the wire type says `string`.
 */
export type PaymentRequirementsV1Wire = Omit<PaymentRequiredV1['accepts'][number], 'network'> & {
  network: string;
};

/** A v1 402 body as it travels (see `PaymentRequirementsV1Wire`). */
export type PaymentRequiredV1Wire = Omit<PaymentRequiredV1, 'accepts'> & {
  accepts: PaymentRequirementsV1Wire[];
};

/** What is being bought (v2 `resource`; v1 has it per requirement instead). */
export interface NormalizedResource {
  readonly url: string;
  readonly description?: string;
  readonly mimeType?: string;
}

/** The EIP-712 domain name and version a seller declared in `extra`. */
export interface Eip712DomainNaming {
  readonly name: string;
  readonly version: string;
}

interface NormalizedRequirementBase {
  /** Position in `accepts`. */
  readonly index: number;
  readonly scheme: string;
  /** The network exactly as the seller wrote it (a v1 name or a CAIP-2 id). */
  readonly networkAsGiven: string;
  /** Atomic units (v2 `amount`, v1 `maxAmountRequired`). */
  readonly amountAtomic: bigint;
  /** The asset exactly as given (never re-checksummed: `raw` is what gets echoed). */
  readonly asset: string;
  /** The payee exactly as given. */
  readonly payTo: string;
  readonly maxTimeoutSeconds: number;
  readonly extra: JsonObject | null;
  /** v1 per-requirement resource URL; null in v2 (see the document's `resource`). */
  readonly resourceUrl: string | null;
  /** The original requirement object, deeply frozen; v2 payloads echo it as `accepted`. */
  readonly raw: PaymentRequirements | PaymentRequirementsV1Wire;
}

/** A requirement Proco's EIP-3009 signer can pay. */
export interface PayableRequirement extends NormalizedRequirementBase {
  readonly supported: true;
  readonly unsupportedReason: null;
  readonly network: `eip155:${number}`;
  readonly chainId: number;
  readonly assetAddress: Address;
  readonly payToAddress: Address;
  readonly eip712Domain: Eip712DomainNaming;
}

/**
 * A structurally valid requirement Proco cannot pay, with the first reason in precedence order.
 * Fields that could still be derived are filled in, so the caller can explain what was offered.
 */
export interface UnpayableRequirement extends NormalizedRequirementBase {
  readonly supported: false;
  readonly unsupportedReason: RequirementUnsupportedReason;
  /** The CAIP-2 id when one could be derived, else null. */
  readonly network: Network | null;
  readonly chainId: number | null;
  readonly assetAddress: Address | null;
  readonly payToAddress: Address | null;
  readonly eip712Domain: Eip712DomainNaming | null;
}

/** One payment option of a 402, normalized; branch on `supported`. */
export type NormalizedRequirement = PayableRequirement | UnpayableRequirement;

/** A decoded, validated 402 answer of either protocol version. */
export interface NormalizedPaymentRequired {
  readonly x402Version: 1 | 2;
  /** v2 `resource` (url, description, mimeType); null for v1. */
  readonly resource: NormalizedResource | null;
  readonly accepts: readonly NormalizedRequirement[];
  /** v2 declared extensions (`payment-identifier`, `bazaar`, …); null when none or v1. */
  readonly extensions: JsonObject | null;
  readonly error: string | null;
  /** The original document, deeply frozen; v2 payloads echo its `resource` from here. */
  readonly raw: PaymentRequired | PaymentRequiredV1Wire;
}
