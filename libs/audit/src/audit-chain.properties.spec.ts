// Goal: property-based evidence that any chain of random events verifies (version 2 rows, possibly
// after a prefix of version 1 rows), and that changing any one field of any one row is reported at
// exactly that row.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { type AuditChainBreakReason, verifyAuditChain } from './audit-chain-verifier';
import type { AuditEventRecord, ChainedAuditEvent } from './audit-event';
import { buildChain, roundTripThroughStorage } from './audit.test-builders';
import { canonicalJson } from './canonical-json';

const nullableId = fc.option(fc.string({ maxLength: 64 }), { nil: null });
const occurredAt = fc
  .integer({ min: Date.UTC(2000, 0, 1), max: Date.UTC(2100, 0, 1) })
  .map((milliseconds) => new Date(milliseconds));

const record: fc.Arbitrary<Partial<AuditEventRecord>> = fc.record({
  orgId: fc.option(fc.uuid(), { nil: null }),
  actorType: fc.constantFrom('operator', 'agent', 'system', 'cli'),
  actorId: nullableId,
  action: fc.string({ minLength: 1, maxLength: 100 }),
  subjectType: fc.string({ minLength: 1, maxLength: 32 }),
  subjectId: nullableId,
  data: fc.dictionary(fc.string(), fc.jsonValue({ maxDepth: 3 })),
  requestId: fc.option(fc.string({ maxLength: 100 }), { nil: null }),
  occurredAt,
});

const tamperableField = fc.constantFrom(
  'chain',
  'orgId',
  'actorType',
  'actorId',
  'action',
  'subjectType',
  'subjectId',
  'data',
  'requestId',
  'occurredAt',
  'previousHash',
  'contentHash',
  'hash',
  'sequence',
) satisfies fc.Arbitrary<keyof ChainedAuditEvent>;

// Produces a value guaranteed to differ from the original in its hashed (canonical) form.
function changed(
  event: ChainedAuditEvent,
  field: keyof ChainedAuditEvent,
  salt: string,
): Partial<ChainedAuditEvent> {
  switch (field) {
    case 'sequence':
      return { sequence: event.sequence + 1n };
    case 'occurredAt':
      return { occurredAt: new Date(event.occurredAt.getTime() + 1) };
    case 'contentHash': {
      if (event.contentHash === null) return { contentHash: new Uint8Array(32) };
      const bytes = Uint8Array.from(event.contentHash);
      bytes[0] = (bytes[0] ?? 0) ^ 0xff;
      return { contentHash: bytes };
    }
    case 'previousHash':
    case 'hash': {
      const bytes = Uint8Array.from(event[field]);
      bytes[0] = (bytes[0] ?? 0) ^ 0xff;
      return { [field]: bytes };
    }
    case 'data':
      return { data: { tampered: salt, original: event.data } };
    default: {
      const current = event[field];
      return { [field]: current === null ? salt : `${current}${salt}` };
    }
  }
}

/** The reason an edit of `field` is reported with, for a version 1 or a version 2 row. */
function expectedReason(field: keyof ChainedAuditEvent, versionOne: boolean): AuditChainBreakReason {
  switch (field) {
    case 'sequence':
      return 'sequence_gap';
    case 'previousHash':
      return 'previous_hash_mismatch';
    case 'hash':
      return 'hash_mismatch';
    case 'contentHash':
      return 'content_hash_mismatch';
    default:
      // A version 1 hash covers the fields directly; a version 2 row's content hash covers them.
      return versionOne ? 'hash_mismatch' : 'content_hash_mismatch';
  }
}

/** Bytes as plain arrays, so two rows can be compared in canonical form. */
function comparable(event: ChainedAuditEvent): unknown {
  return {
    ...event,
    previousHash: [...event.previousHash],
    contentHash: event.contentHash === null ? null : [...event.contentHash],
    hash: [...event.hash],
  };
}

/** Random records plus how many of them, at the start, are version 1 rows. */
const recordsWithPrefix = (minLength: number) =>
  fc
    .array(record, { minLength, maxLength: 12 })
    .chain((records) => fc.tuple(fc.constant(records), fc.nat({ max: records.length })));

describe('audit chain properties', () => {
  it('verifies any chain of random events, also after a storage round trip', () => {
    fc.assert(
      fc.property(recordsWithPrefix(0), ([records, versionOnePrefix]) => {
        const chain = buildChain(records, { versionOnePrefix });
        expect(verifyAuditChain({ events: chain })).toMatchObject({ ok: true, count: chain.length });
        expect(verifyAuditChain({ events: chain.map(roundTripThroughStorage) }).ok).toBe(true);
      }),
      { numRuns: 100 },
    );
  });

  it('reports a single-field edit at exactly the edited row', () => {
    const scenario = recordsWithPrefix(1).chain(([records, versionOnePrefix]) =>
      fc.tuple(
        fc.constant(records),
        fc.constant(versionOnePrefix),
        fc.nat({ max: records.length - 1 }),
        tamperableField,
        fc.string({ minLength: 1 }),
      ),
    );
    fc.assert(
      fc.property(scenario, ([records, versionOnePrefix, index, field, salt]) => {
        const versionOne = index < versionOnePrefix;
        // A version 1 hash does not cover the chain column: a row moved to another chain shows as a
        // gap there and in its new chain, which is outside this single-chain property.
        fc.pre(!(versionOne && field === 'chain'));
        const chain = buildChain(records, { versionOnePrefix });
        const original = chain[index]!;
        const edited = { ...original, ...changed(original, field, salt) };
        // The change must be real in the hashed form; the generators above guarantee it.
        expect(canonicalJson(comparable(edited))).not.toBe(canonicalJson(comparable(original)));
        const tampered = chain.map((event, position) => (position === index ? edited : event));
        expect(verifyAuditChain({ events: tampered })).toEqual({
          ok: false,
          brokenAtSequence: original.sequence,
          reason: expectedReason(field, versionOne),
        });
      }),
      { numRuns: 300 },
    );
  });

  it('reports the first missing sequence when any one row is deleted', () => {
    const scenario = recordsWithPrefix(2).chain(([records, versionOnePrefix]) =>
      fc.tuple(fc.constant(records), fc.constant(versionOnePrefix), fc.nat({ max: records.length - 2 })),
    );
    fc.assert(
      fc.property(scenario, ([records, versionOnePrefix, index]) => {
        const chain = buildChain(records, { versionOnePrefix });
        const deleted = chain.filter((_, position) => position !== index);
        expect(verifyAuditChain({ events: deleted })).toEqual({
          ok: false,
          brokenAtSequence: BigInt(index + 1),
          reason: 'sequence_gap',
        });
      }),
    );
  });
});
