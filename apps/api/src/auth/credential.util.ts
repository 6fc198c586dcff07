import { createHash, randomBytes } from 'node:crypto';

/** Kinds of bearer credential, told apart by their visible prefix. */
export type CredentialKind = 'operator' | 'agent';

const PREFIX_BY_KIND: Readonly<Record<CredentialKind, string>> = {
  operator: 'proco_op_',
  agent: 'proco_ag_',
};
/** 32 random bytes: guessing is hopeless, so a fast digest (not a password KDF) is the right store. */
export const CREDENTIAL_SECRET_BYTES = 32;
/** Characters of the credential shown in listings so people can tell keys apart. */
export const CREDENTIAL_VISIBLE_CHARACTERS = 16;
const CREDENTIAL_PATTERN = /^proco_(op|ag)_[A-Za-z0-9_-]{43}$/;

/** A freshly minted credential: the secret is returned to the caller once and never stored. */
export interface MintedCredential {
  readonly secret: string;
  readonly prefix: string;
  readonly digest: Uint8Array<ArrayBuffer>;
}

export function mintCredential(kind: CredentialKind): MintedCredential {
  const secret = `${PREFIX_BY_KIND[kind]}${randomBytes(CREDENTIAL_SECRET_BYTES).toString('base64url')}`;
  return { secret, prefix: secret.slice(0, CREDENTIAL_VISIBLE_CHARACTERS), digest: digestCredential(secret) };
}

/** The stored form of a credential: its SHA-256 digest. */
export function digestCredential(secret: string): Uint8Array<ArrayBuffer> {
  return new Uint8Array(createHash('sha256').update(secret, 'utf8').digest());
}

/** Which kind a presented credential claims to be, or `undefined` when it is malformed. */
export function credentialKindOf(secret: string): CredentialKind | undefined {
  const match = CREDENTIAL_PATTERN.exec(secret);
  if (match === null) return undefined;
  return match[1] === 'op' ? 'operator' : 'agent';
}
