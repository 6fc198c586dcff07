// Goal: property-based evidence that any chain of random events verifies, and that changing any
// one field of any one row is reported at exactly that row.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { verifyAuditChain } from './audit-chain-verifier';
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

const expectedReason = {
  sequence: 'sequence_gap',
  previousHash: 'previous_hash_mismatch',
} as const;

describe('audit chain properties', () => {
  it('verifies any chain of random events, also after a storage round trip', () => {
    fc.assert(
      fc.property(fc.array(record, { maxLength: 12 }), (records) => {
        const chain = buildChain(records);
        expect(verifyAuditChain({ events: chain })).toMatchObject({ ok: true, count: chain.length });
        expect(verifyAuditChain({ events: chain.map(roundTripThroughStorage) }).ok).toBe(true);
      }),
      { numRuns: 100 },
    );
  });

  it('reports a single-field edit at exactly the edited row', () => {
    const scenario = fc
      .array(record, { minLength: 1, maxLength: 12 })
      .chain((records) =>
        fc.tuple(
          fc.constant(records),
          fc.nat({ max: records.length - 1 }),
          tamperableField,
          fc.string({ minLength: 1 }),
        ),
      );
    fc.assert(
      fc.property(scenario, ([records, index, field, salt]) => {
        const chain = buildChain(records);
        const original = chain[index]!;
        const edited = { ...original, ...changed(original, field, salt) };
        // The change must be real in the hashed form; the generators above guarantee it.
        expect(
          canonicalJson({ ...edited, hash: [...edited.hash], previousHash: [...edited.previousHash] }),
        ).not.toBe(
          canonicalJson({ ...original, hash: [...original.hash], previousHash: [...original.previousHash] }),
        );
        const tampered = chain.map((event, position) => (position === index ? edited : event));
        expect(verifyAuditChain({ events: tampered })).toEqual({
          ok: false,
          brokenAtSequence: original.sequence,
          reason: field === 'sequence' || field === 'previousHash' ? expectedReason[field] : 'hash_mismatch',
        });
      }),
      { numRuns: 300 },
    );
  });

  it('reports the first missing sequence when any one row is deleted', () => {
    const scenario = fc
      .array(record, { minLength: 2, maxLength: 12 })
      .chain((records) => fc.tuple(fc.constant(records), fc.nat({ max: records.length - 2 })));
    fc.assert(
      fc.property(scenario, ([records, index]) => {
        const chain = buildChain(records);
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
