import { z } from 'zod';

/** The `typ` header of every receipt; it also namespaces the private `payment` claim. */
export const RECEIPT_TYPE = 'proco-receipt+jwt';
/** How long a receipt is valid by default: long enough to carry to a seller and retry, no more. */
export const RECEIPT_LIFETIME_DEFAULT_SECONDS = 600;
/**
 * The longest lifetime a receipt may have, checked when signing and again when verifying. A
 * retired key stays published at least this long (plus a margin), so rotation never invalidates
 * an unexpired receipt.
 */
export const RECEIPT_LIFETIME_MAX_SECONDS = 3_600;

// 2^256 - 1 has 78 decimal digits; EVM token amounts are uint256.
const AMOUNT_ATOMIC_MAX = 2n ** 256n - 1n;
const URL_LENGTH_MAX_CHARS = 2_048;

/** A bounded, printable ASCII identifier (payment, org and agent ids are UUIDs today). */
const IdentifierSchema = z
  .string()
  .regex(/^[\x21-\x7e]{1,128}$/, 'must be 1 to 128 printable ASCII characters');

const HttpUrlSchema = z
  .string()
  .max(URL_LENGTH_MAX_CHARS)
  .refine((value) => /^https?:\/\//i.test(value) && URL.canParse(value), 'must be an http(s) URL');

const EvmAddressSchema = z.string().regex(/^0x[0-9a-fA-F]{40}$/, 'must be a 0x-prefixed 20-byte address');

/** Atomic units as a canonical decimal string: no sign, exponent, leading zero or `number`. */
const AmountAtomicSchema = z
  .string()
  .regex(/^[1-9][0-9]{0,77}$/, 'must be a positive decimal string of atomic units')
  // The digit test keeps BigInt from throwing should the refinement run after a failed regex.
  .refine((value) => /^[0-9]+$/.test(value) && BigInt(value) <= AMOUNT_ATOMIC_MAX, 'must fit in uint256');

/** A CAIP-2 chain id, e.g. `eip155:8453`. */
const NetworkSchema = z.string().regex(/^[-a-z0-9]{3,8}:[-_a-zA-Z0-9]{1,32}$/, 'must be a CAIP-2 chain id');

const SecondsSchema = z.int().nonnegative();

/**
 * The payment a receipt attests, as Proco signed it. Field names follow the x402 payment
 * requirements (`payTo`, `amount`, `asset`, `network`) so a seller can compare them one to one.
 */
export const ReceiptPaymentSchema = z.object({
  orgId: IdentifierSchema,
  agentId: IdentifierSchema,
  /** The agent's wallet address, the `from` of the EIP-3009 authorization. */
  payer: EvmAddressSchema,
  payTo: EvmAddressSchema,
  /** Atomic units of `asset` on `network`, a decimal string (never a JSON number). */
  amount: AmountAtomicSchema,
  /** The token contract address. */
  asset: EvmAddressSchema,
  network: NetworkSchema,
  /** The URL the agent was calling when it got the 402. */
  resourceUrl: HttpUrlSchema,
  method: z.enum(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']),
  /** The EIP-3009 authorization nonce, 32 bytes as 0x-hex. */
  nonce: z.string().regex(/^0x[0-9a-fA-F]{64}$/, 'must be 32 bytes of 0x-hex'),
  /**
   * The policy outcome that led to the signature: `allow`, or `hold_for_approval` when an
   * operator approved the held payment. Denied payments get no receipt.
   */
  decision: z.enum(['allow', 'hold_for_approval']),
});

export type ReceiptPayment = z.infer<typeof ReceiptPaymentSchema>;

/**
 * The claims of a receipt. Registered claims carry the envelope (who issued it, for which
 * payment, when it expires); the payment itself is one private claim, `payment`, rather than
 * flat snake_case claims: the `typ` header already namespaces the token, one object keeps the
 * registered claim space untouched, and its camelCase names match x402 field for field.
 *
 * Unknown claims are dropped when parsing, so a newer issuer may add claims without breaking
 * older verifiers. `exp - iat` must be 1 to `RECEIPT_LIFETIME_MAX_SECONDS`.
 */
export const ReceiptClaimsSchema = z
  .object({
    /** Proco's public URL. */
    iss: HttpUrlSchema,
    /** The payment id. */
    sub: IdentifierSchema,
    /** Unique per receipt; the payment id when a payment gets one receipt. */
    jti: IdentifierSchema,
    iat: SecondsSchema,
    exp: SecondsSchema,
    payment: ReceiptPaymentSchema,
  })
  .refine((claims) => claims.exp > claims.iat, { message: 'exp must be after iat', path: ['exp'] })
  .refine((claims) => claims.exp - claims.iat <= RECEIPT_LIFETIME_MAX_SECONDS, {
    message: `the lifetime must be at most ${RECEIPT_LIFETIME_MAX_SECONDS} seconds`,
    path: ['exp'],
  });

export type ReceiptClaims = z.infer<typeof ReceiptClaimsSchema>;

/** What a signer is given: the claims without the times, which it derives from its clock. */
export type UnsignedReceiptClaims = Omit<ReceiptClaims, 'iat' | 'exp'>;
