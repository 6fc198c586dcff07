// Network identifiers: v1 names and v2 CAIP-2 ids, both reduced to an EVM chain id.
import { UnsupportedNetworkError } from './x402.errors';

/**
 * v1 network names and their EVM chain ids, as the reference `@x402/evm/v1` table (2.27.0) lists
 * them. `celo` and `flare` are in the 2.27 table but not yet in our protocol digest; the interop
 * spec checks this table equals the reference one, so drift shows up as a failing test.
 */
export const V1_NETWORK_CHAIN_IDS: Readonly<Record<string, number>> = Object.freeze({
  ethereum: 1,
  sepolia: 11155111,
  abstract: 2741,
  'abstract-testnet': 11124,
  'base-sepolia': 84532,
  base: 8453,
  'avalanche-fuji': 43113,
  avalanche: 43114,
  iotex: 4689,
  sei: 1329,
  'sei-testnet': 1328,
  polygon: 137,
  'polygon-amoy': 80002,
  peaq: 3338,
  story: 1514,
  educhain: 41923,
  'skale-base-sepolia': 324705682,
  megaeth: 4326,
  monad: 143,
  stable: 988,
  'stable-testnet': 2201,
  celo: 42220,
  flare: 14,
});

/** A CAIP-2 id of an EVM chain, e.g. `eip155:84532`. */
export type Eip155Network = `eip155:${number}`;

// A positive decimal integer without leading zeros: `eip155:084532` would be a second spelling of
// the same chain, and exact-string comparisons downstream (the reference server's `accepted`
// matching) would then disagree with chain-id comparisons.
const EIP155_NETWORK = /^eip155:([1-9][0-9]{0,15})$/;

/** Parameters of `toCaip2Network`. */
export interface ToCaip2NetworkParams {
  /** The network as the seller wrote it: a v1 name (`base-sepolia`) or a CAIP-2 id (`eip155:84532`). */
  readonly network: string;
  /** The protocol version of the document it came from. */
  readonly x402Version: 1 | 2;
}

/**
 * The CAIP-2 id of an EVM network. v2 ids must be `eip155:<positive safe integer>` without leading
 * zeros; v1 names are looked up in `V1_NETWORK_CHAIN_IDS` (own keys only, so `constructor` or
 * `__proto__` never resolve).
 *
 * Throws `unsupported_network`.
 */
export function toCaip2Network({ network, x402Version }: ToCaip2NetworkParams): Eip155Network {
  if (x402Version === 2) {
    chainIdOf(network);
    return network as Eip155Network;
  }
  if (!Object.hasOwn(V1_NETWORK_CHAIN_IDS, network)) {
    throw new UnsupportedNetworkError({ network, detail: 'not a known v1 EVM network name' });
  }
  const chainId = V1_NETWORK_CHAIN_IDS[network];
  if (chainId === undefined) {
    throw new UnsupportedNetworkError({ network, detail: 'not a known v1 EVM network name' });
  }
  return `eip155:${chainId}`;
}

/**
 * The chain id of a CAIP-2 `eip155:<id>` network.
 *
 * Throws `unsupported_network` for other namespaces, leading zeros, zero and unsafe integers.
 */
export function chainIdOf(network: string): number {
  const match = EIP155_NETWORK.exec(network);
  const digits = match?.[1];
  if (digits === undefined) {
    throw new UnsupportedNetworkError({ network, detail: 'expected eip155:<positive integer>' });
  }
  const chainId = Number(digits);
  if (!Number.isSafeInteger(chainId)) {
    throw new UnsupportedNetworkError({ network, detail: 'chain id is not a safe integer' });
  }
  return chainId;
}

/**
 * The v1 network names of an EVM chain id (from `V1_NETWORK_CHAIN_IDS`), in table order; empty
 * when v1 has no name for it.
 */
export function v1NetworkNamesOf(chainId: number): string[] {
  return Object.entries(V1_NETWORK_CHAIN_IDS)
    .filter(([, id]) => id === chainId)
    .map(([name]) => name);
}
