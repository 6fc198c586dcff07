import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/**
 * Version 1 of the ciphertext format, used for both the wallet key and the data key:
 *
 * ```
 * offset 0       1 byte    version (0x01)
 * offset 1       12 bytes  AES-GCM IV (random per encryption)
 * offset 13      n bytes   AES-256-GCM ciphertext (n = plaintext length)
 * offset 13 + n  16 bytes  AES-GCM authentication tag
 * ```
 *
 * The version byte is also part of the associated data, so it cannot be swapped for another.
 */
export const ENVELOPE_VERSION_V1 = 0x01;
/** 96-bit IVs are the size GCM is specified for; other sizes go through an extra GHASH step. */
export const ENVELOPE_IV_LENGTH_BYTES = 12;
/** The full 128-bit tag; shorter tags weaken forgery resistance for no gain here. */
export const ENVELOPE_TAG_LENGTH_BYTES = 16;
const ENVELOPE_VERSION_LENGTH_BYTES = 1;
const ENVELOPE_OVERHEAD_BYTES =
  ENVELOPE_VERSION_LENGTH_BYTES + ENVELOPE_IV_LENGTH_BYTES + ENVELOPE_TAG_LENGTH_BYTES;

const CIPHER = 'aes-256-gcm';

export type SealEnvelopeParams = {
  /** A 32-byte AES-256 key. */
  key: Uint8Array;
  plaintext: Uint8Array;
  associatedData: Uint8Array;
};

/**
 * Encrypts with AES-256-GCM under a fresh random IV and serialises to the v1 format above.
 * Random IVs are safe here because each key encrypts far fewer than 2^32 messages: a data key
 * encrypts exactly one wallet key, and a master key one data key per wallet and rotation.
 */
export function sealEnvelope(params: SealEnvelopeParams): Uint8Array {
  const iv = randomBytes(ENVELOPE_IV_LENGTH_BYTES);
  const cipher = createCipheriv(CIPHER, params.key, iv, { authTagLength: ENVELOPE_TAG_LENGTH_BYTES });
  cipher.setAAD(params.associatedData);
  const body = Buffer.concat([cipher.update(params.plaintext), cipher.final()]);
  const tag = cipher.getAuthTag();
  const envelope = new Uint8Array(ENVELOPE_OVERHEAD_BYTES + body.byteLength);
  envelope[0] = ENVELOPE_VERSION_V1;
  envelope.set(iv, ENVELOPE_VERSION_LENGTH_BYTES);
  envelope.set(body, ENVELOPE_VERSION_LENGTH_BYTES + ENVELOPE_IV_LENGTH_BYTES);
  envelope.set(tag, ENVELOPE_VERSION_LENGTH_BYTES + ENVELOPE_IV_LENGTH_BYTES + body.byteLength);
  // The ciphertext body is not secret, but the buffer came from Node's pool; clear it anyway so
  // no copy of anything derived from the plaintext lingers beyond the envelope itself.
  body.fill(0);
  return envelope;
}

/** The result of parsing: either the parts, or why the bytes are not a v1 envelope. */
export type ParseEnvelopeResult =
  { ok: true; iv: Uint8Array; body: Uint8Array; tag: Uint8Array } | { ok: false; detail: string };

/**
 * Splits a v1 envelope whose plaintext is exactly `plaintextLengthBytes` long. Checking the
 * exact length rejects truncated or padded values before any cryptography runs.
 */
export function parseEnvelope(params: {
  envelope: Uint8Array;
  plaintextLengthBytes: number;
}): ParseEnvelopeResult {
  const { envelope, plaintextLengthBytes } = params;
  const expectedLengthBytes = ENVELOPE_OVERHEAD_BYTES + plaintextLengthBytes;
  if (envelope.byteLength !== expectedLengthBytes) {
    return { ok: false, detail: `length is ${envelope.byteLength} bytes, expected ${expectedLengthBytes}` };
  }
  const version = envelope[0];
  if (version !== ENVELOPE_VERSION_V1) {
    return { ok: false, detail: `unsupported format version ${String(version)}` };
  }
  const bodyStart = ENVELOPE_VERSION_LENGTH_BYTES + ENVELOPE_IV_LENGTH_BYTES;
  const tagStart = bodyStart + plaintextLengthBytes;
  return {
    ok: true,
    iv: envelope.subarray(ENVELOPE_VERSION_LENGTH_BYTES, bodyStart),
    body: envelope.subarray(bodyStart, tagStart),
    tag: envelope.subarray(tagStart),
  };
}

export type OpenEnvelopeParams = {
  key: Uint8Array;
  iv: Uint8Array;
  body: Uint8Array;
  tag: Uint8Array;
  associatedData: Uint8Array;
};

/**
 * Decrypts and authenticates parsed envelope parts. Throws Node's authentication error when the
 * tag does not verify; callers translate it into a typed error. The caller owns (and should
 * zero) the returned plaintext.
 */
export function openEnvelope(params: OpenEnvelopeParams): Buffer {
  const decipher = createDecipheriv(CIPHER, params.key, params.iv, {
    authTagLength: ENVELOPE_TAG_LENGTH_BYTES,
  });
  decipher.setAAD(params.associatedData);
  decipher.setAuthTag(params.tag);
  const head = decipher.update(params.body);
  try {
    // `final` verifies the tag; only after it succeeds is the plaintext trustworthy.
    const tail = decipher.final();
    const plaintext = Buffer.concat([head, tail]);
    tail.fill(0);
    return plaintext;
  } finally {
    head.fill(0);
  }
}
