import { inspect } from 'node:util';

const REDACTED = '[redacted]';

/**
 * Key material read from configuration. The bytes are reachable only through `reveal()`, so the
 * config object can be logged, serialised or inspected without leaking them.
 */
export class SecretBytes {
  readonly #bytes: Uint8Array;

  constructor(bytes: Uint8Array) {
    this.#bytes = Uint8Array.from(bytes);
  }

  /** A copy of the bytes, for the key code only. */
  reveal(): Uint8Array {
    return Uint8Array.from(this.#bytes);
  }

  get length(): number {
    return this.#bytes.length;
  }

  toJSON(): string {
    return REDACTED;
  }

  toString(): string {
    return REDACTED;
  }

  [inspect.custom](): string {
    return REDACTED;
  }
}
