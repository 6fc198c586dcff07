// JSON under hostile-input discipline: bounded depth, bounded size, no duplicate keys, no
// `__proto__`, plain values only. Everything this returns is a fresh, deeply frozen copy, so the
// requirement we later echo in `accepted` cannot be changed by anyone holding the original.
import { InvalidJsonError } from './x402.errors';
import { JSON_DEPTH_MAX, JSON_NODE_COUNT_MAX } from './x402.limits';

/** A JSON value as JSON.parse produces it, read-only. */
export type JsonValue = null | boolean | number | string | readonly JsonValue[] | JsonObject;

/** A JSON object, read-only. */
export type JsonObject = { readonly [key: string]: JsonValue };

const FORBIDDEN_KEY = '__proto__';

type ScanFrame = { kind: 'array' } | { kind: 'object'; keys: Set<string>; expectingKey: boolean };

// One linear pass over the text that tracks only structure: nesting depth, and the keys of each
// open object. It runs before JSON.parse so a depth bomb never reaches the parser and so duplicate
// keys, which JSON.parse silently collapses (last one wins), are still visible. It trusts JSON.parse
// for everything else: on malformed text it may stop early or mis-track, and the parse then fails.
function scanStructure(text: string): void {
  const stack: ScanFrame[] = [];
  for (let index = 0; index < text.length; index += 1) {
    const character = text[index];
    if (character === '"') {
      index = scanString({ text, start: index, frame: stack.at(-1) });
    } else if (character === '{' || character === '[') {
      if (stack.length >= JSON_DEPTH_MAX) {
        throw new InvalidJsonError({
          reason: 'too_deep',
          detail: `nesting deeper than ${JSON_DEPTH_MAX} levels`,
        });
      }
      stack.push(
        character === '{' ? { kind: 'object', keys: new Set(), expectingKey: true } : { kind: 'array' },
      );
    } else if (character === '}' || character === ']') {
      stack.pop();
    } else if (character === ',') {
      const frame = stack.at(-1);
      if (frame?.kind === 'object') frame.expectingKey = true;
    }
  }
}

// Returns the index of the closing quote of the string that opens at `start`.
function scanString(params: { text: string; start: number; frame: ScanFrame | undefined }): number {
  const { text, start, frame } = params;
  let end = start + 1;
  while (end < text.length && text[end] !== '"') end += text[end] === '\\' ? 2 : 1;
  if (end >= text.length) {
    throw new InvalidJsonError({ reason: 'syntax', detail: 'unterminated string' });
  }
  if (frame?.kind === 'object' && frame.expectingKey) {
    frame.expectingKey = false;
    // JSON.parse of the token resolves escapes, so `"a"` and `"\u0061"` count as the same key.
    const key = parseJsonText(text.slice(start, end + 1));
    if (typeof key !== 'string') throw new InvalidJsonError({ reason: 'syntax', detail: 'object key' });
    if (key === FORBIDDEN_KEY) {
      throw new InvalidJsonError({
        reason: 'forbidden_key',
        detail: `the key ${FORBIDDEN_KEY} is not accepted`,
      });
    }
    if (frame.keys.has(key)) {
      throw new InvalidJsonError({
        reason: 'duplicate_key',
        detail: `key ${JSON.stringify(key.slice(0, 64))}`,
      });
    }
    frame.keys.add(key);
  }
  return end;
}

function parseJsonText(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new InvalidJsonError({ reason: 'syntax', detail: 'not valid JSON', cause: error });
  }
}

/** Parameters of `parseBoundedJson`. */
export interface ParseBoundedJsonParams {
  readonly text: string;
  /** Size bound of the text, in characters; checked before anything is parsed. */
  readonly lengthCharsMax: number;
}

/**
 * Parses JSON text under the limits: length, depth (`JSON_DEPTH_MAX`), value count
 * (`JSON_NODE_COUNT_MAX`), no duplicate keys, no `__proto__`. Returns a deeply frozen value.
 *
 * Throws `invalid_json` (with a `reason`).
 */
export function parseBoundedJson({ text, lengthCharsMax }: ParseBoundedJsonParams): JsonValue {
  if (text.length > lengthCharsMax) {
    throw new InvalidJsonError({ reason: 'too_large', detail: `more than ${lengthCharsMax} characters` });
  }
  scanStructure(text);
  return cloneBoundedJson({ value: parseJsonText(text), lengthCharsMax });
}

/** Parameters of `cloneBoundedJson`. */
export interface CloneBoundedJsonParams {
  readonly value: unknown;
  /** Bound of the value's size, in characters of string content plus one per value. */
  readonly lengthCharsMax: number;
}

type CloneBudget = { nodesLeft: number; charsLeft: number };

/**
 * Copies a JavaScript value that must be plain JSON (null, booleans, finite numbers, strings,
 * arrays, objects whose prototype is `Object.prototype` or null) under the same limits as
 * `parseBoundedJson`. Object members whose value is `undefined` are dropped, as JSON.stringify
 * does. Returns a deeply frozen copy that preserves key order.
 *
 * Throws `invalid_json` (with a `reason`).
 */
export function cloneBoundedJson({ value, lengthCharsMax }: CloneBoundedJsonParams): JsonValue {
  const budget: CloneBudget = { nodesLeft: JSON_NODE_COUNT_MAX, charsLeft: lengthCharsMax };
  return cloneValue({ value, path: '$', depth: 0, budget });
}

type CloneParams = { value: unknown; path: string; depth: number; budget: CloneBudget };

function spend(params: { budget: CloneBudget; chars: number; path: string }): void {
  const { budget, chars, path } = params;
  budget.nodesLeft -= 1;
  budget.charsLeft -= chars + 1;
  if (budget.nodesLeft < 0) {
    throw new InvalidJsonError({
      reason: 'too_large',
      detail: `more than ${JSON_NODE_COUNT_MAX} values`,
      path,
    });
  }
  if (budget.charsLeft < 0) {
    throw new InvalidJsonError({ reason: 'too_large', detail: 'the value exceeds its size bound', path });
  }
}

function cloneValue(params: CloneParams): JsonValue {
  const { value, path, budget } = params;
  switch (typeof value) {
    case 'string':
      spend({ budget, chars: value.length, path });
      return value;
    case 'boolean':
      spend({ budget, chars: 4, path });
      return value;
    case 'number':
      if (!Number.isFinite(value)) {
        throw new InvalidJsonError({
          reason: 'syntax',
          detail: 'a non-finite number has no JSON form',
          path,
        });
      }
      spend({ budget, chars: 8, path });
      return value;
    case 'object':
      if (value === null) {
        spend({ budget, chars: 4, path });
        return null;
      }
      return cloneContainer({ ...params, value });
    default:
      throw new InvalidJsonError({ reason: 'syntax', detail: `a ${typeof value} has no JSON form`, path });
  }
}

function cloneContainer(params: CloneParams & { value: object }): JsonValue {
  const { value, path, depth, budget } = params;
  // Depth also stops cycles: a cyclic object is, to this walk, infinitely deep.
  if (depth >= JSON_DEPTH_MAX) {
    throw new InvalidJsonError({
      reason: 'too_deep',
      detail: `nesting deeper than ${JSON_DEPTH_MAX} levels`,
      path,
    });
  }
  spend({ budget, chars: 1, path });
  if (Array.isArray(value)) {
    const items: JsonValue[] = [];
    for (let index = 0; index < value.length; index += 1) {
      const item: unknown = value[index];
      items.push(cloneValue({ value: item, path: `${path}[${index}]`, depth: depth + 1, budget }));
    }
    return Object.freeze(items);
  }
  const prototype: unknown = Object.getPrototypeOf(value);
  if (prototype !== Object.prototype && prototype !== null) {
    throw new InvalidJsonError({ reason: 'syntax', detail: 'not a plain object', path });
  }
  const copy: Record<string, JsonValue> = {};
  for (const [key, member] of Object.entries(value)) {
    if (key === FORBIDDEN_KEY) {
      throw new InvalidJsonError({
        reason: 'forbidden_key',
        detail: `the key ${FORBIDDEN_KEY} is not accepted`,
        path,
      });
    }
    if (member === undefined) continue;
    spend({ budget, chars: key.length, path });
    copy[key] = cloneValue({ value: member, path: `${path}.${key}`, depth: depth + 1, budget });
  }
  return Object.freeze(copy);
}

/** True for a JSON object (not null, not an array). */
export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
