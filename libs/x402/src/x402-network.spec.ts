// Goal: networks map to chain ids exactly as the reference packages do, and nothing else maps.
import { EVM_NETWORK_CHAIN_ID_MAP } from '@x402/evm/v1';
import { describe, expect, it } from 'vitest';

import { chainIdOf, toCaip2Network, V1_NETWORK_CHAIN_IDS } from './x402-network';
import { UnsupportedNetworkError } from './x402.errors';

describe('V1_NETWORK_CHAIN_IDS', () => {
  it('equals the reference @x402/evm/v1 table', () => {
    expect({ ...V1_NETWORK_CHAIN_IDS }).toEqual({ ...EVM_NETWORK_CHAIN_ID_MAP });
  });
});

describe('toCaip2Network', () => {
  it.each([
    ['base-sepolia', 1, 'eip155:84532'],
    ['base', 1, 'eip155:8453'],
    ['ethereum', 1, 'eip155:1'],
    ['eip155:84532', 2, 'eip155:84532'],
    ['eip155:1', 2, 'eip155:1'],
  ] as const)('maps %s (v%s) to %s', (network, x402Version, expected) => {
    expect(toCaip2Network({ network, x402Version })).toBe(expected);
  });

  it.each([
    ['an unknown v1 name', 'base-mainnet', 1],
    ['a prototype key as v1 name', 'constructor', 1],
    ['__proto__ as v1 name', '__proto__', 1],
    ['a CAIP-2 id in a v1 document', 'eip155:84532', 1],
    ['a v1 name in a v2 document', 'base-sepolia', 2],
    ['a Solana network', 'solana:5eykt4UsFv8P8NJdTREpY1vzqKqZKvdp', 2],
    ['a leading zero', 'eip155:084532', 2],
    ['chain id zero', 'eip155:0', 2],
    ['a negative chain id', 'eip155:-1', 2],
    ['an unsafe integer', 'eip155:9007199254740993', 2],
    ['a wildcard', 'eip155:*', 2],
    ['upper-case namespace', 'EIP155:1', 2],
    ['trailing space', 'eip155:1 ', 2],
    ['unicode digits', 'eip155:١', 2],
  ] as const)('rejects %s', (_scenario, network, x402Version) => {
    expect(() => toCaip2Network({ network, x402Version })).toThrow(UnsupportedNetworkError);
  });
});

describe('chainIdOf', () => {
  it('reads the chain id', () => {
    expect(chainIdOf('eip155:84532')).toBe(84532);
    expect(chainIdOf('eip155:324705682')).toBe(324705682);
  });

  it('rejects non-EVM namespaces with unsupported_network', () => {
    expect(() => chainIdOf('solana:EtWTRABZaYq6iMfeYKouRu166VU2xqa1')).toThrow(
      expect.objectContaining({ code: 'unsupported_network' }),
    );
  });
});
