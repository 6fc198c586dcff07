/**
 * Stable codes for every failure `@proco/keys` can report. The HTTP edge maps them to problem
 * responses; callers branch on `code`, never on message text.
 */
export type KeysErrorCode =
  | 'kek_invalid'
  | 'kek_duplicate'
  | 'kek_unknown'
  | 'wallet_binding_invalid'
  | 'secret_binding_invalid'
  | 'ciphertext_invalid'
  | 'decryption_failed'
  | 'wallet_key_invalid'
  | 'wallet_key_mismatch'
  | 'key_generation_failed'
  | 'signing_failed';

type KeysErrorOptions = {
  code: KeysErrorCode;
  message: string;
  cause?: unknown;
};

// A bound on cause-chain walks, so a cyclic chain built by some other library cannot hang us.
const CAUSE_CHAIN_DEPTH_MAX = 32;

/**
 * Base class of every error thrown by `@proco/keys`. Messages are fixed sentences plus
 * identifiers (kek ids, wallet ids, lengths): they never contain key bytes, data keys or
 * ciphertext, so they are safe to log and to return from the API.
 */
export class KeysError extends Error {
  override readonly name: string = 'KeysError';
  readonly code: KeysErrorCode;

  constructor(options: KeysErrorOptions) {
    // `cause` is only set when given, so `exactOptionalPropertyTypes` callers see no `undefined`.
    super(options.message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = options.code;
  }

  /**
   * Walks this error's `cause` chain and returns the first error matching `predicate`
   * (the deepest error when no predicate is given).
   */
  walk(predicate?: (error: unknown) => boolean): unknown {
    return walkCauseChain({ error: this, ...(predicate === undefined ? {} : { predicate }) });
  }
}

/**
 * Walks an error's `cause` chain (at most 32 links) and returns the first error matching
 * `predicate`, or the deepest error when no predicate is given; undefined when nothing matches.
 */
export function walkCauseChain(params: { error: unknown; predicate?: (error: unknown) => boolean }): unknown {
  const { predicate } = params;
  let current: unknown = params.error;
  for (let depth = 0; depth < CAUSE_CHAIN_DEPTH_MAX; depth += 1) {
    if (predicate?.(current) === true) return current;
    const next: unknown = current instanceof Error ? current.cause : undefined;
    if (next === undefined) return predicate === undefined ? current : undefined;
    current = next;
  }
  return predicate === undefined ? current : undefined;
}

/** A master key (KEK) supplied by configuration is not exactly 32 bytes, or the keyring is malformed. */
export class KekInvalidError extends KeysError {
  override readonly name = 'KekInvalidError';
  readonly reason: 'length' | 'count' | 'not_a_keyring';

  constructor(params: { reason: 'length' | 'count' | 'not_a_keyring'; detail: string }) {
    super({ code: 'kek_invalid', message: `Invalid master key configuration: ${params.detail}.` });
    this.reason = params.reason;
  }
}

/** The same master key was supplied twice (for example as active and as previous). */
export class KekDuplicateError extends KeysError {
  override readonly name = 'KekDuplicateError';
  readonly kekId: string;

  constructor(params: { kekId: string }) {
    super({ code: 'kek_duplicate', message: `Master key ${params.kekId} is configured more than once.` });
    this.kekId = params.kekId;
  }
}

/** A data key was wrapped by a master key that is not in the keyring. */
export class KekUnknownError extends KeysError {
  override readonly name = 'KekUnknownError';
  readonly kekId: string;

  constructor(params: { kekId: string }) {
    super({ code: 'kek_unknown', message: `Master key ${params.kekId} is not in the keyring.` });
    this.kekId = params.kekId;
  }
}

/** The org or wallet id that binds a ciphertext is empty or too long. */
export class WalletBindingInvalidError extends KeysError {
  override readonly name = 'WalletBindingInvalidError';
  readonly field: 'orgId' | 'walletId';

  constructor(params: { field: 'orgId' | 'walletId'; detail: string }) {
    super({ code: 'wallet_binding_invalid', message: `Invalid ${params.field}: ${params.detail}.` });
    this.field = params.field;
  }
}

/** A secret's binding (org id, id, purpose) or its length is empty, too long or unknown. */
export class SecretBindingInvalidError extends KeysError {
  override readonly name = 'SecretBindingInvalidError';
  readonly field: 'orgId' | 'id' | 'purpose' | 'plaintext';

  constructor(params: { field: 'orgId' | 'id' | 'purpose' | 'plaintext'; detail: string }) {
    super({ code: 'secret_binding_invalid', message: `Invalid secret ${params.field}: ${params.detail}.` });
    this.field = params.field;
  }
}

/** Which stored ciphertext failed: a wallet's two, or a sealed secret's own. */
export type CiphertextField = 'keyCiphertext' | 'dataKeyCiphertext' | 'secretCiphertext';

/** What a ciphertext is bound to, named in decryption errors. */
export type DecryptionBinding = 'wallet' | 'secret';

/** A stored ciphertext is not in a format this version understands (version byte or length). */
export class CiphertextInvalidError extends KeysError {
  override readonly name = 'CiphertextInvalidError';
  readonly field: CiphertextField;

  constructor(params: { field: CiphertextField; detail: string }) {
    super({ code: 'ciphertext_invalid', message: `Malformed ${params.field}: ${params.detail}.` });
    this.field = params.field;
  }
}

/**
 * Authenticated decryption failed: the ciphertext was altered, belongs to another org, wallet or
 * secret, or was wrapped by a different master key with the same id.
 */
export class DecryptionFailedError extends KeysError {
  override readonly name = 'DecryptionFailedError';
  readonly field: CiphertextField;

  constructor(params: { field: CiphertextField; binding?: DecryptionBinding; cause?: unknown }) {
    super({
      code: 'decryption_failed',
      message: `Could not authenticate ${params.field} for this ${params.binding ?? 'wallet'}.`,
      cause: params.cause,
    });
    this.field = params.field;
  }
}

/** The decrypted private key is not a valid secp256k1 scalar. */
export class WalletKeyInvalidError extends KeysError {
  override readonly name = 'WalletKeyInvalidError';

  constructor() {
    super({ code: 'wallet_key_invalid', message: 'The decrypted wallet key is not a valid secp256k1 key.' });
  }
}

/** The decrypted private key does not control the address recorded for the wallet. */
export class WalletKeyMismatchError extends KeysError {
  override readonly name = 'WalletKeyMismatchError';
  readonly walletId: string;

  constructor(params: { walletId: string }) {
    super({
      code: 'wallet_key_mismatch',
      message: `The key of wallet ${params.walletId} does not match its recorded address.`,
    });
    this.walletId = params.walletId;
  }
}

/** The random source kept producing out-of-range scalars (practically impossible). */
export class KeyGenerationFailedError extends KeysError {
  override readonly name = 'KeyGenerationFailedError';

  constructor(params: { attempts: number }) {
    super({
      code: 'key_generation_failed',
      message: `No valid secp256k1 key after ${params.attempts} attempts.`,
    });
  }
}

/** Signing failed; `cause` is dropped when it could contain key material. */
export class SigningFailedError extends KeysError {
  override readonly name = 'SigningFailedError';
  readonly operation: 'signMessage' | 'signTypedData' | 'signTransaction';

  constructor(params: { operation: 'signMessage' | 'signTypedData' | 'signTransaction'; cause?: unknown }) {
    super({ code: 'signing_failed', message: `${params.operation} failed.`, cause: params.cause });
    this.operation = params.operation;
  }
}
