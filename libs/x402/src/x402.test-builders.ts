// Test data builders for the x402 specs: seller documents with overrides, header encoding done
// independently of the code under test (Node's Buffer), and anvil's public dev accounts.
import type { PaymentRequired, PaymentRequirements } from '@x402/core/types';
import { mnemonicToAccount, type HDAccount } from 'viem/accounts';

// anvil's public test mnemonic: play money on local chains only; no key is written down.
const ANVIL_TEST_MNEMONIC = 'test test test test test test test test test test test junk';

/** anvil dev account `index` (0 = deployer, 1 = payer, 2 = payee by convention in these specs). */
export function anvilAccount(index: number): HDAccount {
  return mnemonicToAccount(ANVIL_TEST_MNEMONIC, { addressIndex: index });
}

/** The Base Sepolia USDC address as sellers write it (checksummed). */
export const USDC_BASE_SEPOLIA = '0x036CbD53842c5426634e7929541eC2318f3dCF7e';

/** A payee address written in lowercase, as some sellers do. */
export const PAYEE_LOWERCASE = '0x3c44cdddb6a900fa2b585dd299e03d12fa4293bc';

/** A v2 requirement a reference server would emit. */
export function buildRequirementV2(overrides: Partial<Record<string, unknown>> = {}): PaymentRequirements {
  return {
    scheme: 'exact',
    network: 'eip155:84532',
    amount: '10000',
    asset: USDC_BASE_SEPOLIA,
    payTo: PAYEE_LOWERCASE,
    maxTimeoutSeconds: 300,
    extra: { name: 'USDC', version: '2' },
    ...overrides,
  };
}

/** A v2 PaymentRequired with one requirement unless `accepts` is overridden. */
export function buildPaymentRequiredV2(overrides: Partial<Record<string, unknown>> = {}): PaymentRequired {
  return {
    x402Version: 2,
    error: 'Payment required',
    resource: {
      url: 'https://api.example.com/paid',
      description: 'test resource',
      mimeType: 'application/json',
    },
    accepts: [buildRequirementV2()],
    ...overrides,
  };
}

/** A v1 requirement (JSON body era). */
export function buildRequirementV1(
  overrides: Partial<Record<string, unknown>> = {},
): Record<string, unknown> {
  return {
    scheme: 'exact',
    network: 'base-sepolia',
    maxAmountRequired: '10000',
    resource: 'https://api.example.com/paid',
    description: 'test resource',
    mimeType: 'application/json',
    payTo: PAYEE_LOWERCASE,
    maxTimeoutSeconds: 60,
    asset: USDC_BASE_SEPOLIA,
    extra: { name: 'USDC', version: '2' },
    ...overrides,
  };
}

/** A v1 402 body. */
export function buildPaymentRequiredV1(
  overrides: Partial<Record<string, unknown>> = {},
): Record<string, unknown> {
  return {
    x402Version: 1,
    error: 'X-PAYMENT header is required',
    accepts: [buildRequirementV1()],
    ...overrides,
  };
}

/** base64(UTF-8 JSON) of `value`, encoded with Node's Buffer (independent of our codec). */
export function encodeJsonHeader(value: unknown): string {
  return Buffer.from(JSON.stringify(value), 'utf8').toString('base64');
}

/** base64 of raw text, for hand-written (malformed or duplicated-key) JSON. */
export function encodeTextHeader(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64');
}
