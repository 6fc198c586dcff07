import { BaseError, type Hex, type LocalAccount, type PrivateKeyAccount } from 'viem';

import { SigningFailedError } from './keys.errors';

/** The `source` tag of signers built by `@proco/keys`, as viem's `LocalAccount` expects one. */
export const WALLET_SIGNER_SOURCE = 'proco-keys';

/**
 * A signing capability for one wallet: a viem `LocalAccount` (usable with wallet clients and as
 * an x402 `ClientEvmSigner`) whose key stays in a closure. It deliberately has no raw `sign`
 * (hash signing would let a caller sign anything, including transactions it never showed us)
 * and no `signAuthorization` (an EIP-7702 delegation hands control of the account to code).
 * `JSON.stringify`, `util.inspect` and `String()` render only the address.
 */
export type WalletSigner = LocalAccount<typeof WALLET_SIGNER_SOURCE>;

type SigningOperation = 'signMessage' | 'signTypedData' | 'signTransaction';

// Bounds the walk over a cause chain that someone else built.
const CAUSE_CHAIN_DEPTH_MAX = 16;

const INSPECT_CUSTOM = Symbol.for('nodejs.util.inspect.custom');

export type CreateWalletSignerParams = {
  account: PrivateKeyAccount;
  /** The key as viem holds it; kept only to check errors for it before they escape. */
  privateKeyHex: Hex;
};

/**
 * Internal: wraps a viem private-key account into a `WalletSigner` that cannot leak its key
 * through serialisation, inspection or errors.
 */
export function createWalletSigner(params: CreateWalletSignerParams): WalletSigner {
  const { account, privateKeyHex } = params;
  const address = account.address;
  const describe = (): string => `WalletSigner(${address})`;

  const guard = async (operation: SigningOperation, run: () => Promise<Hex>): Promise<Hex> => {
    try {
      return await run();
    } catch (error) {
      throw new SigningFailedError({ operation, ...safeCause({ error, privateKeyHex }) });
    }
  };

  const signer: WalletSigner = {
    address,
    publicKey: account.publicKey,
    source: WALLET_SIGNER_SOURCE,
    type: 'local',
    signMessage: (parameters) => guard('signMessage', () => account.signMessage(parameters)),
    signTypedData: (parameters) => guard('signTypedData', () => account.signTypedData(parameters)),
    signTransaction: (transaction, options) =>
      guard('signTransaction', () => account.signTransaction(transaction, options)),
  };

  // Non-enumerable, so spreading or copying the signer does not carry them along, and frozen, so
  // no caller can swap a method for one that records what it signs.
  Object.defineProperties(signer, {
    toJSON: { value: () => ({ type: 'wallet_signer', address }), enumerable: false },
    toString: { value: describe, enumerable: false },
    [INSPECT_CUSTOM]: { value: describe, enumerable: false },
  });
  return Object.freeze(signer);
}

/**
 * Keeps a signing error as `cause` only when it is one of viem's own errors (built from the
 * caller's input) and no message in its chain contains the key. Anything else, such as a raw
 * error from the curve library, is dropped, because those may print the scalar they rejected.
 */
function safeCause(params: { error: unknown; privateKeyHex: Hex }): { cause?: unknown } {
  if (!(params.error instanceof BaseError)) return {};
  const keyDigits = params.privateKeyHex.slice(2).toLowerCase();
  let current: unknown = params.error;
  for (let depth = 0; depth < CAUSE_CHAIN_DEPTH_MAX && current instanceof Error; depth += 1) {
    const text = `${current.message}\n${current.stack ?? ''}`.toLowerCase();
    if (text.includes(keyDigits)) return {};
    current = current.cause;
  }
  // A chain longer than we are willing to read is treated as unsafe.
  if (current instanceof Error) return {};
  return { cause: params.error };
}
