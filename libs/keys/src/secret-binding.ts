import { ENVELOPE_VERSION_V1 } from './envelope';
import { SecretBindingInvalidError } from './keys.errors';
import { BINDING_ID_LENGTH_MAX_CHARS, BINDING_LABEL } from './wallet-binding';

/**
 * What a sealed secret is. Each purpose is a separate namespace: a ciphertext sealed for one
 * purpose never opens as another, even under the same org id, id and master key.
 */
export type SecretPurpose = 'receipt_signing_key' | 'webhook_signing_secret';

/** Every purpose `sealSecret` accepts, for run-time checks of values read from storage. */
export const SECRET_PURPOSES: readonly SecretPurpose[] = Object.freeze([
  'receipt_signing_key',
  'webhook_signing_secret',
]);

/**
 * The associated-data purpose of each secret's data key. Distinct from the secret's own purpose
 * (so the two ciphertexts of one secret cannot be swapped) and from the wallet purposes
 * `wallet_private_key` and `wallet_data_key` (so no wallet ciphertext opens as a secret).
 */
const DATA_KEY_PURPOSE_BY_SECRET_PURPOSE: Readonly<Record<SecretPurpose, string>> = Object.freeze({
  receipt_signing_key: 'receipt_signing_data_key',
  webhook_signing_secret: 'webhook_signing_data_key',
});

/** The org and id a secret belongs to; system secrets use the org id `system`. */
export type SecretScope = { orgId: string; id: string };

export type SecretAssociatedDataParams = {
  purpose: SecretPurpose;
  scope: SecretScope;
  /** The secret's own ciphertext, or the data key that encrypts it. */
  layer: 'secret' | 'data_key';
};

/**
 * Builds the AES-GCM associated data of a sealed secret in the same encoding as
 * `walletAssociatedData`: a JSON array `["proco-keys", "1", purpose, orgId, id]`.
 *
 * Throws `secret_binding_invalid` when the purpose is unknown or an id is empty or longer than
 * 128 characters.
 */
export function secretAssociatedData(params: SecretAssociatedDataParams): Uint8Array {
  const { purpose, scope, layer } = params;
  // Callers outside TypeScript (or values read back from a database) may pass any string.
  const dataKeyPurpose = Object.hasOwn(DATA_KEY_PURPOSE_BY_SECRET_PURPOSE, purpose)
    ? DATA_KEY_PURPOSE_BY_SECRET_PURPOSE[purpose]
    : undefined;
  if (dataKeyPurpose === undefined) {
    throw new SecretBindingInvalidError({ field: 'purpose', detail: 'it is not a known purpose' });
  }
  assertSecretBindingId({ field: 'orgId', value: scope.orgId });
  assertSecretBindingId({ field: 'id', value: scope.id });
  const tuple = [
    BINDING_LABEL,
    String(ENVELOPE_VERSION_V1),
    layer === 'secret' ? purpose : dataKeyPurpose,
    scope.orgId,
    scope.id,
  ];
  return Buffer.from(JSON.stringify(tuple), 'utf8');
}

function assertSecretBindingId(params: { field: 'orgId' | 'id'; value: string }): void {
  if (params.value.length === 0) {
    throw new SecretBindingInvalidError({ field: params.field, detail: 'it is empty' });
  }
  if (params.value.length > BINDING_ID_LENGTH_MAX_CHARS) {
    throw new SecretBindingInvalidError({
      field: params.field,
      detail: `it is longer than ${BINDING_ID_LENGTH_MAX_CHARS} characters`,
    });
  }
}
