// Signed x402 payments for the facilitator benchmark (issue 4): fresh random payers funded with test
// USD on the bench chain, and a pool of distinct EIP-3009 authorizations (one random nonce each),
// serialised once as the exact request body `HTTPFacilitatorClient` sends to /verify and /settle.
// Signing happens before any measurement, so it never takes CPU from a server under load.
import { randomBytes } from 'node:crypto';
import { anvilDevAccountAddresses, mintTestTokens } from '@proco/evm';
import { TRANSFER_WITH_AUTHORIZATION_TYPES } from '@proco/x402';
import { type Address, getAddress, type Hex, toHex } from 'viem';
import { generatePrivateKey, type PrivateKeyAccount, privateKeyToAccount } from 'viem/accounts';

/** What every benchmark payment pays, in atomic units (0.01 test USD). */
export const PAYMENT_AMOUNT_ATOMIC = 10_000n;
/** The seller's address: anvil dev account 4 (it only receives). */
export function payTo(): Address {
  const address = anvilDevAccountAddresses()[4];
  if (address === undefined) throw new Error('anvil has no dev account 4.');
  return getAddress(address);
}

export interface PaymentChain {
  readonly rpcUrl: string;
  readonly chainId: number;
  readonly tokenAddress: Address;
}

/**
 * `count` random payers, each minted `amountAtomic` test USD. One mint at a time: the minter is an
 * impersonated account, and anvil gives concurrent sends of such an account the same nonce while a
 * block is pending (a block-time chain then refuses all but one as underpriced replacements).
 */
export async function fundedPayers(
  chain: PaymentChain,
  count: number,
  amountAtomic: bigint,
): Promise<PrivateKeyAccount[]> {
  const payers = Array.from({ length: count }, () => privateKeyToAccount(generatePrivateKey()));
  for (const payer of payers) {
    await mintTestTokens({
      rpcUrl: chain.rpcUrl,
      tokenAddress: chain.tokenAddress,
      to: payer.address,
      amountAtomic,
    });
  }
  return payers;
}

/**
 * `count` request bodies `{ x402Version: 2, paymentPayload, paymentRequirements }`, each a valid
 * payment of `PAYMENT_AMOUNT_ATOMIC` to `payTo()` signed by the next payer in rotation with a fresh
 * random nonce, valid from 0 until `validForSeconds` from now.
 */
export async function signedPaymentBodies(params: {
  chain: PaymentChain;
  payers: readonly PrivateKeyAccount[];
  count: number;
  validForSeconds: number;
}): Promise<string[]> {
  const { chain, payers, count } = params;
  const seller = payTo();
  const requirements = {
    scheme: 'exact',
    network: `eip155:${chain.chainId}`,
    amount: PAYMENT_AMOUNT_ATOMIC.toString(),
    asset: chain.tokenAddress,
    payTo: seller,
    maxTimeoutSeconds: params.validForSeconds,
    extra: { name: 'USDC', version: '2' },
  };
  const domain = {
    name: 'USDC',
    version: '2',
    chainId: chain.chainId,
    verifyingContract: chain.tokenAddress,
  };
  const validBefore = BigInt(Math.floor(Date.now() / 1_000) + params.validForSeconds);
  const bodies: string[] = [];
  for (let index = 0; index < count; index += 1) {
    const payer = payers[index % payers.length];
    if (payer === undefined) throw new Error('No payer to sign with.');
    const nonce: Hex = toHex(randomBytes(32));
    const signature = await payer.signTypedData({
      domain,
      types: TRANSFER_WITH_AUTHORIZATION_TYPES,
      primaryType: 'TransferWithAuthorization',
      message: {
        from: payer.address,
        to: seller,
        value: PAYMENT_AMOUNT_ATOMIC,
        validAfter: 0n,
        validBefore,
        nonce,
      },
    });
    const authorization = {
      from: payer.address,
      to: seller,
      value: PAYMENT_AMOUNT_ATOMIC.toString(),
      validAfter: '0',
      validBefore: validBefore.toString(),
      nonce,
    };
    bodies.push(
      JSON.stringify({
        x402Version: 2,
        paymentPayload: {
          x402Version: 2,
          resource: { url: 'https://api.example.com/v1/bench', description: 'bench' },
          accepted: requirements,
          payload: { signature, authorization },
        },
        paymentRequirements: requirements,
      }),
    );
  }
  return bodies;
}
