// Test data builders for the facilitator verify specs: signed v2 and v1 request bodies as a
// reference resource server would send them, with overrides for every signed and unsigned field.
import {
  concat,
  getAddress,
  hexToBigInt,
  hexToNumber,
  numberToHex,
  slice,
  type Address,
  type Hex,
} from 'viem';
import type { HDAccount } from 'viem/accounts';

import { TRANSFER_WITH_AUTHORIZATION_TYPES } from './transfer-authorization';
import { parseVerifyRequest, type Eip3009VerifyRequest } from './verify-request';
import { anvilAccount, USDC_BASE_SEPOLIA } from './x402.test-builders';

/** The clock of every spec, in Unix seconds. */
export const VERIFY_NOW_SECONDS = 1_760_000_000n;
export const VERIFY_CHAIN_ID = 84532;
export const VERIFY_NETWORK = 'eip155:84532';
export const VERIFY_V1_NETWORK = 'base-sepolia';
export const VERIFY_AMOUNT = '10000';
export const VERIFY_NONCE: Hex = `0x${'a5'.repeat(32)}`;

export const verifyPayer = anvilAccount(1);
export const verifyPayee: Address = anvilAccount(2).address;
export const verifyAsset: Address = getAddress(USDC_BASE_SEPOLIA);

/** The six signed fields of an EIP-3009 authorization, as decimal strings and hex. */
export interface AuthorizationFields {
  from: string;
  to: string;
  value: string;
  validAfter: string;
  validBefore: string;
  nonce: string;
}

/** What a builder may change; anything left out is the valid default. */
export interface SignedBodyOverrides {
  readonly x402Version?: 1 | 2;
  /** Fields of the signed authorization (signed as given). */
  readonly authorization?: Partial<AuthorizationFields>;
  /** The key that signs (default: `verifyPayer`, the authorization's `from`). */
  readonly signer?: HDAccount;
  /** The EIP-712 domain naming the requirements declare and the payer signs. */
  readonly domain?: { readonly name: string; readonly version: string };
  /** Replaces the signature after signing. */
  readonly mapSignature?: (signature: Hex) => Hex;
}

/** The default authorization: pays `VERIFY_AMOUNT` to the payee, valid for 300 s from the clock. */
export function defaultAuthorization(): AuthorizationFields {
  return {
    from: verifyPayer.address,
    to: verifyPayee,
    value: VERIFY_AMOUNT,
    validAfter: '0',
    validBefore: String(VERIFY_NOW_SECONDS + 300n),
    nonce: VERIFY_NONCE,
  };
}

/** A request body `{ x402Version, paymentPayload, paymentRequirements }` with a real signature. */
export async function signedVerifyBody(
  overrides: SignedBodyOverrides = {},
): Promise<Record<string, unknown>> {
  const x402Version = overrides.x402Version ?? 2;
  const domain = overrides.domain ?? { name: 'USDC', version: '2' };
  const authorization = { ...defaultAuthorization(), ...overrides.authorization };
  const signer = overrides.signer ?? verifyPayer;
  const signed = await signer.signTypedData({
    domain: { ...domain, chainId: VERIFY_CHAIN_ID, verifyingContract: verifyAsset },
    types: TRANSFER_WITH_AUTHORIZATION_TYPES,
    primaryType: 'TransferWithAuthorization',
    message: {
      from: authorization.from as Address,
      to: authorization.to as Address,
      value: BigInt(authorization.value),
      validAfter: BigInt(authorization.validAfter),
      validBefore: BigInt(authorization.validBefore),
      nonce: authorization.nonce as Hex,
    },
  });
  const signature = overrides.mapSignature?.(signed) ?? signed;
  const payload = { signature, authorization };
  if (x402Version === 1) {
    const requirements = {
      scheme: 'exact',
      network: VERIFY_V1_NETWORK,
      maxAmountRequired: VERIFY_AMOUNT,
      resource: 'https://api.example.com/paid',
      description: 'test resource',
      mimeType: 'application/json',
      payTo: verifyPayee,
      maxTimeoutSeconds: 60,
      asset: verifyAsset,
      extra: { ...domain },
    };
    return {
      x402Version: 1,
      paymentPayload: { x402Version: 1, scheme: 'exact', network: VERIFY_V1_NETWORK, payload },
      paymentRequirements: requirements,
    };
  }
  const requirements = {
    scheme: 'exact',
    network: VERIFY_NETWORK,
    amount: VERIFY_AMOUNT,
    asset: verifyAsset,
    payTo: verifyPayee,
    maxTimeoutSeconds: 300,
    extra: { ...domain },
  };
  return {
    x402Version: 2,
    paymentPayload: {
      x402Version: 2,
      resource: { url: 'https://api.example.com/paid', description: 'test resource' },
      accepted: requirements,
      payload,
    },
    paymentRequirements: { ...requirements, extra: { ...domain } },
  };
}

/** A deep copy of `body` with the value at `path` (keys from the root) replaced, or removed. */
export function withField(
  body: Record<string, unknown>,
  path: readonly string[],
  value: unknown,
): Record<string, unknown> {
  const copy = structuredClone(body);
  let node: Record<string, unknown> = copy;
  for (const key of path.slice(0, -1)) node = node[key] as Record<string, unknown>;
  const last = path.at(-1) ?? '';
  if (value === undefined) delete node[last];
  else node[last] = value;
  return copy;
}

/** The payload's authorization path in a body of either version. */
export const AUTHORIZATION_PATH = ['paymentPayload', 'payload', 'authorization'] as const;

/** Decodes a body that must carry an EIP-3009 payment. */
export function eip3009RequestOf(body: unknown): Eip3009VerifyRequest {
  const request = parseVerifyRequest(body);
  if (request.payment.kind !== 'eip3009') throw new Error('expected an EIP-3009 payment');
  return { ...request, payment: request.payment };
}

const SECP256K1_ORDER = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;

/** The same signature with `s` replaced by `n - s` and `v` flipped: ecrecover still accepts it. */
export function toHighS(signature: Hex): Hex {
  const s = hexToBigInt(slice(signature, 32, 64));
  const v = hexToNumber(slice(signature, 64, 65));
  return concat([
    slice(signature, 0, 32),
    numberToHex(SECP256K1_ORDER - s, { size: 32 }),
    numberToHex(55 - v, { size: 1 }),
  ]);
}

/** The same signature with its last byte (`v`) replaced. */
export function withV(signature: Hex, v: number): Hex {
  return concat([slice(signature, 0, 64), numberToHex(v, { size: 1 })]);
}

/** The signature's `v` turned into the y-parity 0 or 1 (viem recovers with it, tokens refuse it). */
export function toYParity(signature: Hex): Hex {
  return withV(signature, hexToNumber(slice(signature, 64, 65)) - 27);
}
