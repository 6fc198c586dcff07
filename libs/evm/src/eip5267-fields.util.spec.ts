// Goal: the EIP-5267 bitmap decodes to the domain members it names, bit by bit.
import { describe, expect, it } from 'vitest';
import { decodeEip5267Fields } from './eip5267-fields.util';

describe('decodeEip5267Fields', () => {
  it.each([
    {
      scenario: 'USDC-like domain without salt',
      fields: '0x0f' as const,
      expected: { name: true, version: true, chainId: true, verifyingContract: true, salt: false },
    },
    {
      scenario: 'no members',
      fields: '0x00' as const,
      expected: { name: false, version: false, chainId: false, verifyingContract: false, salt: false },
    },
    {
      scenario: 'name only',
      fields: '0x01' as const,
      expected: { name: true, version: false, chainId: false, verifyingContract: false, salt: false },
    },
    {
      scenario: 'every member',
      fields: '0x1f' as const,
      expected: { name: true, version: true, chainId: true, verifyingContract: true, salt: true },
    },
    {
      scenario: 'name, chainId and salt',
      fields: '0x15' as const,
      expected: { name: true, version: false, chainId: true, verifyingContract: false, salt: true },
    },
  ])('$scenario ($fields)', ({ fields, expected }) => {
    expect(decodeEip5267Fields(fields)).toEqual(expected);
  });

  it('rejects a bitmap wider than one byte', () => {
    expect(() => decodeEip5267Fields('0x0100')).toThrow();
  });
});
