// Public API of @proco/keys: wallet key generation, sealed secrets, envelope encryption and
// signers. Internal helpers (master-key bytes, envelope parsing, data-key wrapping) are
// deliberately not exported.
export { createKeyring, deriveKekId, KEK_LENGTH_BYTES } from './keyring';
export { generateWalletKey, SYSTEM_KEY_ORG_ID } from './generate-wallet-key';
export { openWalletSigner } from './open-wallet-signer';
export { rewrapDataKey } from './rewrap-data-key';
export { openSecret, rewrapSecret, sealSecret, SECRET_LENGTH_MAX_BYTES } from './seal-secret';
export { SECRET_PURPOSES } from './secret-binding';
export { WALLET_SIGNER_SOURCE } from './wallet-signer';
export { ENVELOPE_VERSION_V1 } from './envelope';
export {
  CiphertextInvalidError,
  DecryptionFailedError,
  KekDuplicateError,
  KekInvalidError,
  KekUnknownError,
  KeyGenerationFailedError,
  KeysError,
  SecretBindingInvalidError,
  SigningFailedError,
  WalletBindingInvalidError,
  WalletKeyInvalidError,
  WalletKeyMismatchError,
  walkCauseChain,
} from './keys.errors';

export type { CreateKeyringParams, CreateKeyringResult, Keyring } from './keyring';
export type { GenerateWalletKeyParams, GenerateWalletKeyResult } from './generate-wallet-key';
export type { OpenWalletSignerParams, OpenWalletSignerResult } from './open-wallet-signer';
export type { RewrapDataKeyParams, RewrapDataKeyResult } from './rewrap-data-key';
export type { SealedWalletKey, StoredWalletKey } from './sealed-wallet-key';
export type {
  OpenSecretParams,
  OpenSecretResult,
  RewrapSecretParams,
  RewrapSecretResult,
  SealedSecret,
  SealSecretParams,
  SealSecretResult,
} from './seal-secret';
export type { SecretPurpose, SecretScope } from './secret-binding';
export type { WalletSigner } from './wallet-signer';
export type { CiphertextField, KeysErrorCode } from './keys.errors';
