// Goal: canonicalJson is deterministic, matches RFC 8785 for plain JSON, survives a JSON round
// trip unchanged, and refuses values whose stored form would differ from what was hashed.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { AuditError } from './audit.errors';
import { canonicalJson } from './canonical-json';

describe('canonicalJson', () => {
  it.each([
    { scenario: 'null', value: null, expected: 'null' },
    { scenario: 'booleans in an array', value: [true, false], expected: '[true,false]' },
    { scenario: 'integer', value: 42, expected: '42' },
    { scenario: 'negative zero as zero', value: -0, expected: '0' },
    { scenario: 'large number in ECMAScript form', value: 1e21, expected: '1e+21' },
    { scenario: 'fraction', value: 0.1, expected: '0.1' },
    { scenario: 'string with escapes', value: 'a"b\\c\n', expected: '"a\\"b\\\\c\\n"' },
    { scenario: 'non-ASCII kept as is', value: 'café €', expected: '"café €"' },
    {
      scenario: 'bigint as decimal string',
      value: 123456789012345678901234567890n,
      expected: '"123456789012345678901234567890"',
    },
    {
      scenario: 'Date as ISO string with ms',
      value: new Date(Date.UTC(2026, 1, 3, 4, 5, 6, 7)),
      expected: '"2026-02-03T04:05:06.007Z"',
    },
    {
      scenario: 'keys sorted recursively',
      value: { b: 1, a: { d: [{ z: 1, y: 2 }], c: null } },
      expected: '{"a":{"c":null,"d":[{"y":2,"z":1}]},"b":1}',
    },
    {
      scenario: 'keys sorted by UTF-16 code units',
      value: { é: 1, z: 2, Z: 3, '10': 4, '9': 5 },
      expected: '{"10":4,"9":5,"Z":3,"z":2,"é":1}',
    },
    { scenario: 'undefined fields omitted', value: { a: undefined, b: 1 }, expected: '{"b":1}' },
    { scenario: 'undefined items as null', value: [undefined, 1], expected: '[null,1]' },
    {
      scenario: 'null-prototype object',
      value: Object.assign(Object.create(null) as object, { b: 2, a: 1 }),
      expected: '{"a":1,"b":2}',
    },
    { scenario: 'empty containers', value: { a: [], b: {} }, expected: '{"a":[],"b":{}}' },
  ])('renders $scenario', ({ value, expected }) => {
    expect(canonicalJson(value)).toBe(expected);
  });

  const cyclic: Record<string, unknown> = {};
  cyclic['self'] = cyclic;

  it.each([
    { scenario: 'NaN', value: { amount: Number.NaN }, code: 'canonical_json_unsupported', path: '$.amount' },
    {
      scenario: 'Infinity',
      value: [Number.POSITIVE_INFINITY],
      code: 'canonical_json_unsupported',
      path: '$[0]',
    },
    {
      scenario: 'a function field',
      value: { run: () => 1 },
      code: 'canonical_json_unsupported',
      path: '$.run',
    },
    { scenario: 'a symbol', value: Symbol('x'), code: 'canonical_json_unsupported', path: '$' },
    { scenario: 'a Map', value: { m: new Map() }, code: 'canonical_json_unsupported', path: '$.m' },
    {
      scenario: 'a Buffer',
      value: { b: Buffer.from('hi') },
      code: 'canonical_json_unsupported',
      path: '$.b',
    },
    {
      scenario: 'an invalid Date',
      value: { at: new Date(Number.NaN) },
      code: 'canonical_json_unsupported',
      path: '$.at',
    },
    { scenario: 'top-level undefined', value: undefined, code: 'canonical_json_unsupported', path: '$' },
    { scenario: 'a cycle', value: cyclic, code: 'canonical_json_too_deep', path: undefined },
  ])('rejects $scenario with $code', ({ value, code, path }) => {
    let thrown: unknown;
    try {
      canonicalJson(value);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(AuditError);
    expect((thrown as AuditError).code).toBe(code);
    if (path !== undefined) expect((thrown as { path: string }).path).toBe(path);
  });

  it('is valid JSON that parses back to an equal value', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        expect(JSON.parse(canonicalJson(value))).toEqual(JSON.parse(JSON.stringify(value)));
      }),
    );
  });

  it('is unchanged by a JSON round trip, as when data goes through a JSONB column', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        expect(canonicalJson(JSON.parse(JSON.stringify(value)))).toBe(canonicalJson(value));
      }),
    );
  });

  it('does not depend on key insertion order', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.jsonValue()), (record) => {
        const reversed = Object.fromEntries(Object.entries(record).reverse());
        expect(canonicalJson(reversed)).toBe(canonicalJson(record));
      }),
    );
  });
});
