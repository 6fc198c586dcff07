import { CanonicalJsonTooDeepError, CanonicalJsonUnsupportedError } from './audit.errors';

// Audit data is small, flat metadata; anything deeper is a bug or a cycle, and the bound keeps
// the recursion far from the stack limit.
const CANONICAL_JSON_DEPTH_MAX = 64;

/**
 * Deterministic JSON: the same value always yields the same string, so its hash can be
 * recomputed from what the database returns. For plain JSON values this is RFC 8785 (JCS):
 * object keys sorted by UTF-16 code units at every level, no whitespace, numbers and strings
 * as ECMAScript's `JSON.stringify` writes them. Beyond JSON:
 * - `bigint` becomes its decimal string (`10n` -> `"10"`), since JSON numbers lose precision;
 * - `Date` becomes its ISO 8601 string (`toISOString`); an invalid date is rejected;
 * - object fields whose value is `undefined` are omitted, and `undefined` array items become
 *   `null`, as `JSON.stringify` does, so a value and its JSON round trip canonicalise alike;
 * - non-finite numbers, functions, symbols, Maps, Sets, typed arrays, class instances and other
 *   objects with a prototype other than `Object.prototype` or `null` are rejected.
 *
 * Written here rather than taken from npm (`canonicalize`, `json-stable-stringify`,
 * `safe-stable-stringify`): it is about sixty lines, it anchors the integrity of the audit
 * chain so we want no supply-chain surface under it, and none of those packages has exactly
 * this policy (they render NaN as `null`, throw on or drop bigint, or call arbitrary `toJSON`),
 * which would make a tampered and an honest value hash alike or make hashing fail at append.
 *
 * Throws `canonical_json_unsupported` or `canonical_json_too_deep`.
 */
export function canonicalJson(value: unknown): string {
  const rendered = render({ value, path: '$', depth: 0 });
  if (rendered === undefined) {
    throw new CanonicalJsonUnsupportedError({ path: '$', detail: 'the value is undefined' });
  }
  return rendered;
}

type RenderParams = { value: unknown; path: string; depth: number };

// Returns undefined only for `undefined`, which the caller omits (fields) or writes as null (items).
function render(params: RenderParams): string | undefined {
  const { value, path, depth } = params;
  if (depth > CANONICAL_JSON_DEPTH_MAX) {
    throw new CanonicalJsonTooDeepError({ path, depthMax: CANONICAL_JSON_DEPTH_MAX });
  }
  switch (typeof value) {
    case 'undefined':
      return undefined;
    case 'boolean':
    case 'string':
      return JSON.stringify(value);
    case 'number':
      if (!Number.isFinite(value)) {
        throw new CanonicalJsonUnsupportedError({ path, detail: `${String(value)} is not a finite number` });
      }
      return JSON.stringify(value);
    case 'bigint':
      return JSON.stringify(value.toString(10));
    case 'object':
      return value === null ? 'null' : renderObject({ value, path, depth });
    default:
      throw new CanonicalJsonUnsupportedError({ path, detail: `a ${typeof value} has no JSON form` });
  }
}

function renderObject(params: { value: object; path: string; depth: number }): string {
  const { value, path, depth } = params;
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime()))
      throw new CanonicalJsonUnsupportedError({ path, detail: 'invalid Date' });
    return JSON.stringify(value.toISOString());
  }
  if (Array.isArray(value)) {
    const items = value.map(
      (item: unknown, index) =>
        render({ value: item, path: `${path}[${index}]`, depth: depth + 1 }) ?? 'null',
    );
    return `[${items.join(',')}]`;
  }
  const prototype: unknown = Object.getPrototypeOf(value);
  if (prototype !== Object.prototype && prototype !== null) {
    // Class instances (Map, Buffer, Decimal, …) have no single obvious JSON form; the caller
    // must convert them, so the stored value and the hashed value are the same by construction.
    const name = value.constructor?.name ?? 'unknown';
    throw new CanonicalJsonUnsupportedError({ path, detail: `${name} is not a plain object` });
  }
  const record = value as Record<string, unknown>;
  const fields: string[] = [];
  // Default sort compares UTF-16 code units, which is the order RFC 8785 prescribes.
  for (const key of Object.keys(record).sort()) {
    const rendered = render({ value: record[key], path: `${path}.${key}`, depth: depth + 1 });
    if (rendered !== undefined) fields.push(`${JSON.stringify(key)}:${rendered}`);
  }
  return `{${fields.join(',')}}`;
}
