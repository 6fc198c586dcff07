import { ENVELOPE_VERSION_V1 } from './envelope';
import { WalletBindingInvalidError } from './keys.errors';

// Ids are UUIDs today; the bound leaves room for other id schemes while keeping the associated
// data small and refusing absurd inputs.
export const BINDING_ID_LENGTH_MAX_CHARS = 128;

// Distinguishes our associated data from any other protocol that might reuse these keys.
export const BINDING_LABEL = 'proco-keys';

/**
 * What a ciphertext protects. Distinct purposes give the two ciphertexts of a wallet distinct
 * associated data, so neither can be substituted for the other.
 */
export type WalletCiphertextPurpose = 'wallet_private_key' | 'wallet_data_key';

export type WalletAssociatedDataParams = {
  purpose: WalletCiphertextPurpose;
  orgId: string;
  walletId: string;
};

/**
 * Builds the AES-GCM associated data that binds a ciphertext to one wallet of one org. A JSON
 * array of strings is an unambiguous encoding (ids may contain any character, and no
 * concatenation of two different tuples can collide), and it is easy to reproduce in an audit.
 *
 * Throws `wallet_binding_invalid` when an id is empty or longer than 128 characters.
 */
export function walletAssociatedData(params: WalletAssociatedDataParams): Uint8Array {
  assertBindingId({ field: 'orgId', value: params.orgId });
  assertBindingId({ field: 'walletId', value: params.walletId });
  const tuple = [BINDING_LABEL, String(ENVELOPE_VERSION_V1), params.purpose, params.orgId, params.walletId];
  return Buffer.from(JSON.stringify(tuple), 'utf8');
}

function assertBindingId(params: { field: 'orgId' | 'walletId'; value: string }): void {
  if (params.value.length === 0) {
    throw new WalletBindingInvalidError({ field: params.field, detail: 'it is empty' });
  }
  if (params.value.length > BINDING_ID_LENGTH_MAX_CHARS) {
    throw new WalletBindingInvalidError({
      field: params.field,
      detail: `it is longer than ${BINDING_ID_LENGTH_MAX_CHARS} characters`,
    });
  }
}
