// Goal: the token's CREATE2 address, which configuration hard-codes, only moves on purpose.
import { describe, expect, it } from 'vitest';
import { ANVIL_DEV_ACCOUNT_COUNT, anvilDevAccount, faucetMinterAddress } from './anvil-dev-accounts';
import { LOCAL_TEST_USD_ADDRESS, TEST_USD_CREATE2_SALT } from './local-contracts.constants';
import { predictTestUsdAddress } from './test-usd-deployment';

describe('test USD deployment', () => {
  it('predicts LOCAL_TEST_USD_ADDRESS (update it, and any config naming it, when contracts change)', () => {
    expect(predictTestUsdAddress()).toBe(LOCAL_TEST_USD_ADDRESS);
  });

  it('uses the readable salt proco:test-usd:v1', () => {
    expect(TEST_USD_CREATE2_SALT).toBe('0x70726f636f3a746573742d7573643a7631000000000000000000000000000000');
  });

  it('mints from the last anvil dev account', () => {
    // anvil's tenth default account; a different value means the mnemonic or path changed.
    expect(faucetMinterAddress()).toBe('0xa0Ee7A142d267C1f36714E4a8F75612F20a79720');
  });

  it.each([-1, ANVIL_DEV_ACCOUNT_COUNT, 1.5])('refuses dev account index %s', (index) => {
    expect(() => anvilDevAccount({ index })).toThrow(RangeError);
  });
});
