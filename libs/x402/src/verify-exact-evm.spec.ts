// Goal: every static verify check refuses with the reference facilitator's reason (v2 and v1 strings
// where they differ) or Proco's own, at its boundaries, and the chain's evidence about the payer
// (no code, a contract's EIP-1271 verdict, an undeployed wallet) decides how the signature is judged.
import { describe, expect, it } from 'vitest';

import { anvilAccount } from './x402.test-builders';
import { checkBeforeSignature, checkEip3009Payment, type PayerSignatureEvidence } from './verify-exact-evm';
import {
  AUTHORIZATION_PATH,
  eip3009RequestOf,
  signedVerifyBody,
  toHighS,
  toYParity,
  VERIFY_CHAIN_ID,
  VERIFY_NOW_SECONDS,
  withField,
  withV,
  type SignedBodyOverrides,
} from './verify.test-builders';

const NOW = VERIFY_NOW_SECONDS;
const stranger = anvilAccount(7);

interface Scenario {
  readonly name: string;
  readonly overrides?: SignedBodyOverrides;
  /** Changes the body after signing (unsigned fields, or tampering). */
  readonly mutate?: (body: Record<string, unknown>) => Record<string, unknown>;
  readonly assetConfigured?: boolean;
  readonly payerSignature?: PayerSignatureEvidence;
  /** Expected reason per version, or `valid`. */
  readonly v2: string;
  readonly v1: string;
}

async function outcomeOf(params: { x402Version: 1 | 2; scenario: Scenario }): Promise<string> {
  const { x402Version, scenario } = params;
  const signed = await signedVerifyBody({ ...scenario.overrides, x402Version });
  const body = scenario.mutate?.(signed) ?? signed;
  const refusal = await checkEip3009Payment({
    request: eip3009RequestOf(body),
    chainId: VERIFY_CHAIN_ID,
    nowSeconds: NOW,
    payerSignature: scenario.payerSignature ?? { kind: 'externally_owned' },
    assetConfigured: scenario.assetConfigured ?? true,
  });
  return refusal?.reason ?? 'valid';
}

// Where the payload's scheme and network sit in each version.
const payloadScheme = (body: Record<string, unknown>, value: string) =>
  body['x402Version'] === 2
    ? withField(body, ['paymentPayload', 'accepted', 'scheme'], value)
    : withField(body, ['paymentPayload', 'scheme'], value);
const payloadNetwork = (body: Record<string, unknown>, value: string) =>
  body['x402Version'] === 2
    ? withField(body, ['paymentPayload', 'accepted', 'network'], value)
    : withField(body, ['paymentPayload', 'network'], value);

const at = (offsetSeconds: bigint) => String(NOW + offsetSeconds);

const scenarios: readonly Scenario[] = [
  { name: 'a valid payment', v2: 'valid', v1: 'valid' },
  {
    name: 'payload scheme upto',
    mutate: (body) => payloadScheme(body, 'upto'),
    v2: 'invalid_exact_evm_scheme',
    v1: 'invalid_exact_evm_scheme',
  },
  {
    name: 'requirements scheme upto',
    mutate: (body) => withField(body, ['paymentRequirements', 'scheme'], 'upto'),
    v2: 'invalid_exact_evm_scheme',
    v1: 'invalid_exact_evm_scheme',
  },
  {
    name: 'no extra',
    mutate: (body) => withField(body, ['paymentRequirements', 'extra'], undefined),
    v2: 'invalid_exact_evm_missing_eip712_domain',
    v1: 'invalid_exact_evm_missing_eip712_domain',
  },
  {
    name: 'an empty domain name',
    mutate: (body) => withField(body, ['paymentRequirements', 'extra', 'name'], ''),
    v2: 'invalid_exact_evm_missing_eip712_domain',
    v1: 'invalid_exact_evm_missing_eip712_domain',
  },
  {
    name: 'the payload on another network',
    mutate: (body) => payloadNetwork(body, body['x402Version'] === 2 ? 'eip155:1' : 'base'),
    v2: 'invalid_exact_evm_network_mismatch',
    v1: 'invalid_exact_evm_network_mismatch',
  },
  {
    // v1 resolves the payload's network name before it looks at the domain; v2 does not.
    name: 'an unknown payload network and no extra',
    mutate: (body) => withField(payloadNetwork(body, 'mars'), ['paymentRequirements', 'extra'], null),
    v2: 'invalid_exact_evm_missing_eip712_domain',
    v1: 'invalid_exact_evm_network_mismatch',
  },
  {
    name: 'signed by another key',
    overrides: { signer: stranger },
    v2: 'invalid_exact_evm_signature',
    v1: 'invalid_exact_evm_signature',
  },
  {
    name: 'value changed after signing',
    mutate: (body) => withField(body, [...AUTHORIZATION_PATH, 'value'], '1'),
    v2: 'invalid_exact_evm_signature',
    v1: 'invalid_exact_evm_signature',
  },
  {
    name: 'signed for another domain name than the requirements declare',
    mutate: (body) => withField(body, ['paymentRequirements', 'extra', 'name'], 'USD Coin'),
    v2: 'invalid_exact_evm_signature',
    v1: 'invalid_exact_evm_signature',
  },
  {
    name: 'a 64-byte (EIP-2098) signature',
    overrides: { mapSignature: (signature) => signature.slice(0, 130) as `0x${string}` },
    v2: 'invalid_exact_evm_signature',
    v1: 'invalid_exact_evm_signature',
  },
  {
    name: 'v = 29',
    overrides: { mapSignature: (signature) => withV(signature, 29) },
    v2: 'invalid_exact_evm_signature',
    v1: 'invalid_exact_evm_signature',
  },
  {
    name: 'a signed other recipient',
    overrides: { authorization: { to: stranger.address } },
    v2: 'invalid_exact_evm_recipient_mismatch',
    v1: 'invalid_exact_evm_recipient_mismatch',
  },
  {
    name: 'validBefore exactly now + 6',
    overrides: { authorization: { validBefore: at(6n) } },
    v2: 'valid',
    v1: 'valid',
  },
  {
    name: 'validBefore now + 5',
    overrides: { authorization: { validBefore: at(5n) } },
    v2: 'invalid_exact_evm_payload_authorization_valid_before',
    v1: 'invalid_exact_evm_payload_authorization_valid_before',
  },
  {
    name: 'validAfter exactly now',
    overrides: { authorization: { validAfter: at(0n) } },
    v2: 'valid',
    v1: 'valid',
  },
  {
    name: 'validAfter now + 1',
    overrides: { authorization: { validAfter: at(1n) } },
    v2: 'invalid_exact_evm_payload_authorization_valid_after',
    v1: 'invalid_exact_evm_payload_authorization_valid_after',
  },
  {
    name: 'a signed other value',
    overrides: { authorization: { value: '10001' } },
    v2: 'invalid_exact_evm_payload_authorization_value_mismatch',
    v1: 'invalid_exact_evm_authorization_value',
  },
  {
    name: 'an asset that is not configured',
    assetConfigured: false,
    v2: 'asset_not_allowed',
    v1: 'asset_not_allowed',
  },
  {
    name: 'validBefore exactly the horizon ahead',
    overrides: { authorization: { validBefore: at(3_600n) } },
    v2: 'valid',
    v1: 'valid',
  },
  {
    name: 'validBefore one second past the horizon',
    overrides: { authorization: { validBefore: at(3_601n) } },
    v2: 'authorization_validity_too_long',
    v1: 'authorization_validity_too_long',
  },
  {
    name: 'validBefore the largest uint256',
    overrides: { authorization: { validBefore: String(2n ** 256n - 1n) } },
    v2: 'authorization_validity_too_long',
    v1: 'authorization_validity_too_long',
  },
  {
    name: 'a high-s signature',
    overrides: { mapSignature: toHighS },
    v2: 'signature_high_s',
    v1: 'signature_high_s',
  },
  {
    name: 'v as a y-parity (0 or 1)',
    overrides: { mapSignature: toYParity },
    v2: 'signature_invalid_v',
    v1: 'signature_invalid_v',
  },
  {
    name: 'a contract payer whose EIP-1271 accepts, with a signature ecrecover would refuse',
    overrides: { signer: stranger, mapSignature: toHighS },
    payerSignature: { kind: 'contract', erc1271Valid: true },
    v2: 'valid',
    v1: 'valid',
  },
  {
    name: 'a contract payer whose EIP-1271 refuses',
    payerSignature: { kind: 'contract', erc1271Valid: false },
    v2: 'invalid_exact_evm_signature',
    v1: 'invalid_exact_evm_signature',
  },
  {
    name: 'an undeployed smart wallet (ERC-6492)',
    payerSignature: { kind: 'counterfactual' },
    v2: 'eip6492_factory_not_allowed',
    v1: 'eip6492_factory_not_allowed',
  },
];

describe('checkEip3009Payment', () => {
  it.each(scenarios.map((scenario) => [scenario.name, scenario] as const))('%s', async (_name, scenario) => {
    const outcomes = {
      v2: await outcomeOf({ x402Version: 2, scenario }),
      v1: await outcomeOf({ x402Version: 1, scenario }),
    };
    expect(outcomes).toEqual({ v2: scenario.v2, v1: scenario.v1 });
  });

  it('explains Proco refusals in the message', async () => {
    const request = eip3009RequestOf(await signedVerifyBody({ authorization: { validBefore: at(7_200n) } }));
    const refusal = await checkEip3009Payment({
      request,
      chainId: VERIFY_CHAIN_ID,
      nowSeconds: NOW,
      payerSignature: { kind: 'externally_owned' },
      assetConfigured: true,
    });
    expect(refusal).toEqual({
      reason: 'authorization_validity_too_long',
      message: 'validBefore is 7200 s ahead; at most 3600 s is accepted',
    });
  });

  it('signature checks use the requirements chain id', async () => {
    const request = eip3009RequestOf(await signedVerifyBody());
    const onOtherChain = await checkEip3009Payment({
      request,
      chainId: 1,
      nowSeconds: NOW,
      payerSignature: { kind: 'externally_owned' },
      assetConfigured: true,
    });
    expect(onOtherChain?.reason).toBe('invalid_exact_evm_signature');
  });
});

describe('a signature the token accepted', () => {
  it('is not recovered again, but terms and ECDSA form rules still apply', async () => {
    const request = eip3009RequestOf(await signedVerifyBody());
    const accepted: PayerSignatureEvidence = { kind: 'accepted_by_token' };
    const check = (overrides: { request?: typeof request; chainId?: number } = {}) =>
      checkEip3009Payment({
        request: overrides.request ?? request,
        chainId: overrides.chainId ?? VERIFY_CHAIN_ID,
        nowSeconds: NOW,
        payerSignature: accepted,
        assetConfigured: true,
      });
    // Under another chain id ecrecover would fail: the token's verdict stands instead.
    expect(await check({ chainId: 1 })).toBeNull();
    const tampered = eip3009RequestOf(await signedVerifyBody({ mapSignature: toHighS }));
    expect((await check({ request: tampered }))?.reason).toBe('signature_high_s');
    const late = eip3009RequestOf(await signedVerifyBody({ authorization: { validBefore: at(3n) } }));
    expect((await check({ request: late }))?.reason).toBe(
      'invalid_exact_evm_payload_authorization_valid_before',
    );
  });
});

describe('checkBeforeSignature', () => {
  it('needs no chain evidence and passes a valid request', async () => {
    expect(checkBeforeSignature(eip3009RequestOf(await signedVerifyBody()))).toBeNull();
    expect(checkBeforeSignature(eip3009RequestOf(await signedVerifyBody({ x402Version: 1 })))).toBeNull();
  });
});
