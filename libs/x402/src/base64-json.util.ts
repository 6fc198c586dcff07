// Standard base64 (RFC 4648 §4) of UTF-8 JSON: the encoding of every x402 header. Written on
// atob/btoa and TextEncoder/TextDecoder so the same code runs in Node and in browsers (the SDKs).
import { InvalidBase64Error, InvalidJsonError } from './x402.errors';

// Whole quads, then an optional final quad with one or two `=`. No whitespace, no base64url
// characters, no missing padding: the reference codecs emit exactly this form.
const STANDARD_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

// `fatal` rejects malformed UTF-8 instead of substituting U+FFFD (which would let two different
// byte strings decode to the same document); `ignoreBOM` keeps a BOM so JSON.parse rejects it.
const utf8Decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const utf8Encoder = new TextEncoder();

/** Encodes a string as UTF-8, then as standard padded base64. */
export function encodeBase64Utf8(text: string): string {
  const bytes = utf8Encoder.encode(text);
  // Chunked so very long inputs never hit the argument-count limit of String.fromCharCode.
  const chunkBytes = 0x8000;
  let binary = '';
  for (let offset = 0; offset < bytes.length; offset += chunkBytes) {
    binary += String.fromCharCode(...bytes.subarray(offset, offset + chunkBytes));
  }
  return btoa(binary);
}

/**
 * Decodes canonical standard base64 to UTF-8 text. Rejects characters outside the alphabet,
 * whitespace, missing or extra padding and non-zero trailing bits (a second spelling of the same
 * bytes), then malformed UTF-8.
 *
 * Throws `invalid_base64` or `invalid_json` (reason `invalid_utf8`).
 */
export function decodeBase64Utf8(encoded: string): string {
  if (!STANDARD_BASE64.test(encoded)) {
    throw new InvalidBase64Error({ detail: 'expected standard padded base64 (A-Z a-z 0-9 + /, = padding)' });
  }
  const binary = atob(encoded);
  if (btoa(binary) !== encoded) {
    throw new InvalidBase64Error({ detail: 'non-canonical encoding (non-zero trailing bits)' });
  }
  const bytes = Uint8Array.from(binary, (character) => character.charCodeAt(0));
  try {
    return utf8Decoder.decode(bytes);
  } catch (error) {
    throw new InvalidJsonError({
      reason: 'invalid_utf8',
      detail: 'the decoded bytes are not UTF-8',
      cause: error,
    });
  }
}
