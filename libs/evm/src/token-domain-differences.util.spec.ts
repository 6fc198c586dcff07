// Goal: every domain field that differs is reported once, with expected and actual values, and fields
// the token did not report are never flagged.
import { describe, expect, it } from 'vitest';
import type { ExpectedTokenDomain } from './token-domain-differences.util';
import { listTokenDomainDifferences } from './token-domain-differences.util';
import type { TokenDomain } from './read-token-domain';

const TOKEN_ADDRESS = '0x036CbD53842c5426634e7929541eC2318f3dCF7e';
const OTHER_ADDRESS = '0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913';

function buildExpected(overrides: Partial<ExpectedTokenDomain> = {}): ExpectedTokenDomain {
  return { name: 'USDC', version: '2', chainId: 84532, verifyingContract: TOKEN_ADDRESS, ...overrides };
}

function buildActual(overrides: Partial<TokenDomain> = {}): TokenDomain {
  return {
    name: 'USDC',
    version: '2',
    chainId: 84532,
    verifyingContract: TOKEN_ADDRESS,
    source: 'eip5267',
    ...overrides,
  };
}

describe('listTokenDomainDifferences', () => {
  it('finds nothing when every field matches', () => {
    expect(listTokenDomainDifferences({ expected: buildExpected(), actual: buildActual() })).toEqual([]);
  });

  it('compares the verifying contract without regard to checksum case', () => {
    const actual = buildActual({ verifyingContract: TOKEN_ADDRESS.toLowerCase() as `0x${string}` });
    expect(listTokenDomainDifferences({ expected: buildExpected(), actual })).toEqual([]);
  });

  it.each([
    {
      scenario: 'Base mainnet name on a testnet config',
      actual: buildActual({ name: 'USD Coin' }),
      expected: [{ field: 'name', expected: 'USDC', actual: 'USD Coin' }],
    },
    {
      scenario: 'name differs only by case',
      actual: buildActual({ name: 'usdc' }),
      expected: [{ field: 'name', expected: 'USDC', actual: 'usdc' }],
    },
    {
      scenario: 'permit-style version 1',
      actual: buildActual({ version: '1' }),
      expected: [{ field: 'version', expected: '2', actual: '1' }],
    },
    {
      scenario: 'token on another chain',
      actual: buildActual({ chainId: 8453 }),
      expected: [{ field: 'chainId', expected: '84532', actual: '8453' }],
    },
    {
      scenario: 'proxy reporting another verifying contract',
      actual: buildActual({ verifyingContract: OTHER_ADDRESS }),
      expected: [{ field: 'verifyingContract', expected: TOKEN_ADDRESS, actual: OTHER_ADDRESS }],
    },
    {
      scenario: 'everything differs, reported in domain order',
      actual: buildActual({ name: 'X', version: '9', chainId: 1, verifyingContract: OTHER_ADDRESS }),
      expected: [
        { field: 'name', expected: 'USDC', actual: 'X' },
        { field: 'version', expected: '2', actual: '9' },
        { field: 'chainId', expected: '84532', actual: '1' },
        { field: 'verifyingContract', expected: TOKEN_ADDRESS, actual: OTHER_ADDRESS },
      ],
    },
  ])('$scenario', ({ actual, expected }) => {
    expect(listTokenDomainDifferences({ expected: buildExpected(), actual })).toEqual(expected);
  });

  it('ignores chainId and verifyingContract when the token did not report them', () => {
    const actual: TokenDomain = { name: 'USDC', version: '2', source: 'name_version' };
    expect(
      listTokenDomainDifferences({
        expected: buildExpected({ chainId: 1, verifyingContract: OTHER_ADDRESS }),
        actual,
      }),
    ).toEqual([]);
  });
});
