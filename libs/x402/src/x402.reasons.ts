// Stable snake_case reasons of the x402 wire layer, each list in precedence order: when several
// apply, the first one in the list is the one reported, so a verdict is reproducible from its input.

/**
 * Why a structurally valid payment option cannot be paid by Proco's signer (exact scheme,
 * EIP-3009 on an EVM chain), in precedence order.
 */
export const REQUIREMENT_UNSUPPORTED_REASONS = [
  // Only `exact` is implemented; `upto` and `batch-settlement` need Permit2 or escrow contracts.
  'unsupported_scheme',
  // Not an EVM chain (e.g. `solana:…`) or a v1 network name outside the reference table.
  'unsupported_network',
  // `extra.assetTransferMethod` is `permit2`, `erc7710` or unknown; we sign EIP-3009 only.
  'unsupported_asset_transfer_method',
  // `asset` is not a 20-byte hex address, or is mixed-case with a wrong EIP-55 checksum.
  'invalid_asset_address',
  // `payTo` is not a 20-byte hex address (a role such as `merchant`), or has a wrong checksum.
  'invalid_pay_to_address',
  // `extra.name` / `extra.version` missing: the EIP-712 domain is unknown, so we refuse to sign,
  // exactly like the reference client (it never reads the chain to guess them).
  'missing_eip712_domain',
] as const;

/** One reason from `REQUIREMENT_UNSUPPORTED_REASONS`. */
export type RequirementUnsupportedReason = (typeof REQUIREMENT_UNSUPPORTED_REASONS)[number];

/** Why a JSON text or value was refused before any schema looked at it, in precedence order. */
export const JSON_REJECTION_REASONS = [
  // The bytes are not valid UTF-8.
  'invalid_utf8',
  // Nesting deeper than `JSON_DEPTH_MAX` (or a cyclic object).
  'too_deep',
  // More values than `JSON_NODE_COUNT_MAX`, or text longer than the size bound.
  'too_large',
  // A `__proto__` key: harmless in JSON.parse output, but a prototype-pollution vector the moment
  // any caller spreads or merges the object.
  'forbidden_key',
  // The same key twice in one object: parsers disagree on which value wins, so a seller, our
  // facilitator and the token could each read a different document.
  'duplicate_key',
  // Not JSON at all, or a JavaScript value with no JSON form (function, bigint, NaN, class instance).
  'syntax',
] as const;

/** One reason from `JSON_REJECTION_REASONS`. */
export type JsonRejectionReason = (typeof JSON_REJECTION_REASONS)[number];
