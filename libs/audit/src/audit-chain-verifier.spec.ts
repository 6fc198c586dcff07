// Goal: the audit hash chain verifies when intact and names the first broken sequence (and why)
// for every kind of tampering: edited fields, deleted, duplicated or reordered rows; for version 2
// rows (content hash + link hash), version 1 rows (written before content hashes) and a chain that
// starts with version 1 rows and continues with version 2.
import { createHash } from 'node:crypto';

import { describe, expect, it } from 'vitest';

import { AuditChainVerifier, verifyAuditChain, verifyAuditChainPages } from './audit-chain-verifier';
import type { ChainedAuditEvent } from './audit-event';
import { GENESIS_HASH, computeAuditContentHash, computeAuditHash, computeAuditLinkHash } from './audit-hash';
import { buildAuditRecord, buildChainOfLength, roundTripThroughStorage } from './audit.test-builders';

const CHAIN_LENGTH = 8;
const TAMPERED_SEQUENCE = 5n;
const ORG_ID = '7d3c8f2e-1b4a-4c5d-9e6f-0a1b2c3d4e5f';

function tamper(
  chain: ChainedAuditEvent[],
  sequence: bigint,
  change: Partial<ChainedAuditEvent>,
): ChainedAuditEvent[] {
  return chain.map((event) => (event.sequence === sequence ? { ...event, ...change } : event));
}

function sha256(...parts: Uint8Array[]): Buffer {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part);
  return hash.digest();
}

describe('computeAuditHash (version 1)', () => {
  it('is SHA-256 over previousHash then the canonical JSON of the ten fields', () => {
    const event = buildAuditRecord();
    const expectedInput =
      '{"action":"agent.created","actorId":"op_123","actorType":"operator",' +
      '"data":{"limits":{"perPaymentAtomic":"10000"},"name":"research-bot"},' +
      '"occurredAt":"2026-01-01T12:00:01.000Z","orgId":"7d3c8f2e-1b4a-4c5d-9e6f-0a1b2c3d4e5f",' +
      '"requestId":"req_1","sequence":"1","subjectId":"agent_1","subjectType":"agent"}';
    const expected = createHash('sha256').update(GENESIS_HASH).update(expectedInput).digest();
    expect(Buffer.from(computeAuditHash({ previousHash: GENESIS_HASH, event })).equals(expected)).toBe(true);
  });

  it('ignores extra properties such as the stored hashes', () => {
    const event = buildAuditRecord();
    const row = { ...event, previousHash: new Uint8Array(32).fill(9), hash: new Uint8Array(32).fill(7) };
    expect(computeAuditHash({ previousHash: GENESIS_HASH, event: row })).toEqual(
      computeAuditHash({ previousHash: GENESIS_HASH, event }),
    );
  });

  it('rejects a previous hash that is not 32 bytes with audit_hash_invalid', () => {
    expect(() => computeAuditHash({ previousHash: new Uint8Array(31), event: buildAuditRecord() })).toThrow(
      expect.objectContaining({ code: 'audit_hash_invalid' }),
    );
  });
});

describe('computeAuditContentHash (version 2)', () => {
  it('is SHA-256 over the canonical JSON of v, the chain and the nine event fields', () => {
    const event = { ...buildAuditRecord(), chain: ORG_ID };
    const expectedInput =
      '{"action":"agent.created","actorId":"op_123","actorType":"operator",' +
      `"chain":"${ORG_ID}",` +
      '"data":{"limits":{"perPaymentAtomic":"10000"},"name":"research-bot"},' +
      `"occurredAt":"2026-01-01T12:00:01.000Z","orgId":"${ORG_ID}",` +
      '"requestId":"req_1","subjectId":"agent_1","subjectType":"agent","v":2}';
    expect(Buffer.from(computeAuditContentHash(event)).equals(sha256(Buffer.from(expectedInput)))).toBe(true);
  });

  it('does not cover the sequence or the stored hashes', () => {
    const event = { ...buildAuditRecord(), chain: ORG_ID };
    const row = {
      ...event,
      sequence: 99n,
      previousHash: new Uint8Array(32).fill(9),
      contentHash: new Uint8Array(32).fill(8),
      hash: new Uint8Array(32).fill(7),
    };
    expect(computeAuditContentHash(row)).toEqual(computeAuditContentHash(event));
  });

  it('covers the chain', () => {
    const event = { ...buildAuditRecord(), chain: ORG_ID };
    expect(computeAuditContentHash({ ...event, chain: 'system' })).not.toEqual(
      computeAuditContentHash(event),
    );
  });
});

describe('computeAuditLinkHash (version 2)', () => {
  const previousHash = new Uint8Array(32).fill(0xab);
  const contentHash = new Uint8Array(32).fill(0xcd);

  it.each([
    { sequence: 1n, bytes: '0000000000000001' },
    { sequence: 258n, bytes: '0000000000000102' },
    { sequence: 2n ** 63n - 1n, bytes: '7fffffffffffffff' },
  ])('is SHA-256(previousHash || $bytes || contentHash) for sequence $sequence', ({ sequence, bytes }) => {
    const expected = sha256(previousHash, Buffer.from(bytes, 'hex'), contentHash);
    expect(Buffer.from(computeAuditLinkHash({ previousHash, sequence, contentHash })).equals(expected)).toBe(
      true,
    );
  });

  it.each([
    {
      scenario: 'a short previous hash',
      params: { previousHash: new Uint8Array(31), sequence: 1n, contentHash },
    },
    {
      scenario: 'a long content hash',
      params: { previousHash, sequence: 1n, contentHash: new Uint8Array(33) },
    },
  ])('rejects $scenario with audit_hash_invalid', ({ params }) => {
    expect(() => computeAuditLinkHash(params)).toThrow(
      expect.objectContaining({ code: 'audit_hash_invalid' }),
    );
  });

  it.each([0n, -1n, 2n ** 63n])('rejects sequence %s with audit_sequence_invalid', (sequence) => {
    expect(() => computeAuditLinkHash({ previousHash, sequence, contentHash })).toThrow(
      expect.objectContaining({ code: 'audit_sequence_invalid' }),
    );
  });
});

const FIELD_EDITS: { field: string; change: Partial<ChainedAuditEvent> }[] = [
  { field: 'orgId', change: { orgId: '00000000-0000-0000-0000-000000000000' } },
  { field: 'orgId to null', change: { orgId: null } },
  { field: 'actorType', change: { actorType: 'system' } },
  { field: 'actorId', change: { actorId: 'op_999' } },
  { field: 'action', change: { action: 'agent.deleted' } },
  { field: 'subjectType', change: { subjectType: 'wallet' } },
  { field: 'subjectId', change: { subjectId: null } },
  { field: 'data', change: { data: { name: 'research-bot', limits: { perPaymentAtomic: '99999' } } } },
  { field: 'data emptied', change: { data: {} } },
  { field: 'requestId', change: { requestId: 'req_other' } },
  {
    field: 'occurredAt by one millisecond',
    change: { occurredAt: new Date(Date.UTC(2026, 0, 1, 12, 0, 5, 1)) },
  },
];

describe('verifyAuditChain', () => {
  it('verifies an intact chain and reports its head', () => {
    const chain = buildChainOfLength(CHAIN_LENGTH);
    const result = verifyAuditChain({ events: chain });
    expect(result).toEqual({ ok: true, count: CHAIN_LENGTH, headHash: chain.at(-1)?.hash, lastSequence: 8n });
  });

  it('verifies an empty chain with the genesis hash as head', () => {
    expect(verifyAuditChain({ events: [] })).toEqual({
      ok: true,
      count: 0,
      headHash: GENESIS_HASH,
      lastSequence: null,
    });
  });

  it('verifies a chain read back from storage (JSON data, copied bytes, new Dates)', () => {
    const chain = buildChainOfLength(CHAIN_LENGTH).map(roundTripThroughStorage);
    expect(verifyAuditChain({ events: chain }).ok).toBe(true);
  });

  it.each(FIELD_EDITS)(
    'reports content_hash_mismatch at the edited row when $field changes',
    ({ change }) => {
      const chain = tamper(buildChainOfLength(CHAIN_LENGTH), TAMPERED_SEQUENCE, change);
      expect(verifyAuditChain({ events: chain })).toEqual({
        ok: false,
        brokenAtSequence: TAMPERED_SEQUENCE,
        reason: 'content_hash_mismatch',
      });
    },
  );

  it.each([
    { field: 'chain', change: { chain: 'system' }, reason: 'content_hash_mismatch' },
    {
      field: 'contentHash',
      change: { contentHash: new Uint8Array(32).fill(1) },
      reason: 'content_hash_mismatch',
    },
    {
      field: 'contentHash to a short value',
      change: { contentHash: new Uint8Array(31) },
      reason: 'content_hash_mismatch',
    },
    { field: 'hash', change: { hash: new Uint8Array(32).fill(1) }, reason: 'hash_mismatch' },
    // Dropping the content hash makes the row look like version 1, whose hash it does not have.
    { field: 'contentHash to null', change: { contentHash: null }, reason: 'hash_mismatch' },
  ])('reports $reason at the edited row when $field changes', ({ change, reason }) => {
    const chain = tamper(buildChainOfLength(CHAIN_LENGTH), TAMPERED_SEQUENCE, change);
    expect(verifyAuditChain({ events: chain })).toEqual({
      ok: false,
      brokenAtSequence: TAMPERED_SEQUENCE,
      reason,
    });
  });

  it('reports hash_mismatch when an edited row gets a fresh content hash but keeps its link', () => {
    const chain = buildChainOfLength(CHAIN_LENGTH);
    const original = chain[Number(TAMPERED_SEQUENCE) - 1]!;
    const edited = { ...original, action: 'agent.deleted' };
    const rewritten = tamper(chain, TAMPERED_SEQUENCE, {
      action: 'agent.deleted',
      contentHash: computeAuditContentHash(edited),
    });
    expect(verifyAuditChain({ events: rewritten })).toEqual({
      ok: false,
      brokenAtSequence: TAMPERED_SEQUENCE,
      reason: 'hash_mismatch',
    });
  });

  it('reports previous_hash_mismatch when a row links to the wrong predecessor', () => {
    const chain = tamper(buildChainOfLength(CHAIN_LENGTH), TAMPERED_SEQUENCE, { previousHash: GENESIS_HASH });
    expect(verifyAuditChain({ events: chain })).toEqual({
      ok: false,
      brokenAtSequence: TAMPERED_SEQUENCE,
      reason: 'previous_hash_mismatch',
    });
  });

  it.each([
    {
      scenario: 'a deleted middle row',
      edit: (chain: ChainedAuditEvent[]) => chain.filter((e) => e.sequence !== 5n),
      at: 5n,
    },
    { scenario: 'a deleted first row', edit: (chain: ChainedAuditEvent[]) => chain.slice(1), at: 1n },
    { scenario: 'two rows swapped', edit: (chain: ChainedAuditEvent[]) => swap(chain, 3, 4), at: 4n },
    {
      scenario: 'a duplicated row',
      edit: (chain: ChainedAuditEvent[]) => [...chain.slice(0, 3), ...chain.slice(2)],
      at: 4n,
    },
    {
      scenario: 'a renumbered row',
      edit: (chain: ChainedAuditEvent[]) => tamper(chain, 5n, { sequence: 6n }),
      at: 5n,
    },
  ])('reports sequence_gap for $scenario', ({ edit, at }) => {
    const result = verifyAuditChain({ events: edit(buildChainOfLength(CHAIN_LENGTH)) });
    expect(result).toEqual({ ok: false, brokenAtSequence: at, reason: 'sequence_gap' });
  });

  it('reports hash_mismatch when row contents are swapped but sequences kept in order', () => {
    const chain = buildChainOfLength(CHAIN_LENGTH);
    const [third, fourth] = [chain[2]!, chain[3]!];
    const swapped = [...chain];
    swapped[2] = { ...fourth, sequence: 3n, previousHash: third.previousHash };
    swapped[3] = { ...third, sequence: 4n };
    expect(verifyAuditChain({ events: swapped })).toEqual({
      ok: false,
      brokenAtSequence: 3n,
      reason: 'hash_mismatch',
    });
  });

  it('does not detect a truncated tail by itself: the head must be anchored elsewhere', () => {
    const chain = buildChainOfLength(CHAIN_LENGTH);
    const result = verifyAuditChain({ events: chain.slice(0, 6) });
    // Intact as far as it goes; comparing headHash with an external anchor catches the loss.
    expect(result).toEqual({ ok: true, count: 6, headHash: chain[5]!.hash, lastSequence: 6n });
  });
});

describe('version 1 rows and chains that continue with version 2', () => {
  const VERSION_ONE_PREFIX = 3;

  it('verifies a version 1 chain, also after a storage round trip', () => {
    const chain = buildChainOfLength(CHAIN_LENGTH, { versionOnePrefix: CHAIN_LENGTH });
    expect(chain.every((event) => event.contentHash === null)).toBe(true);
    expect(verifyAuditChain({ events: chain })).toEqual({
      ok: true,
      count: CHAIN_LENGTH,
      headHash: chain.at(-1)?.hash,
      lastSequence: 8n,
    });
    expect(verifyAuditChain({ events: chain.map(roundTripThroughStorage) }).ok).toBe(true);
  });

  it('verifies version 1 rows followed by version 2 rows', () => {
    const chain = buildChainOfLength(CHAIN_LENGTH, { versionOnePrefix: VERSION_ONE_PREFIX });
    expect(chain.map((event) => event.contentHash === null)).toEqual([
      ...Array<boolean>(VERSION_ONE_PREFIX).fill(true),
      ...Array<boolean>(CHAIN_LENGTH - VERSION_ONE_PREFIX).fill(false),
    ]);
    expect(verifyAuditChain({ events: chain })).toEqual({
      ok: true,
      count: CHAIN_LENGTH,
      headHash: chain.at(-1)?.hash,
      lastSequence: 8n,
    });
  });

  it.each(FIELD_EDITS)(
    'reports hash_mismatch at an edited version 1 row when $field changes',
    ({ change }) => {
      const chain = tamper(
        buildChainOfLength(CHAIN_LENGTH, { versionOnePrefix: CHAIN_LENGTH }),
        TAMPERED_SEQUENCE,
        change,
      );
      expect(verifyAuditChain({ events: chain })).toEqual({
        ok: false,
        brokenAtSequence: TAMPERED_SEQUENCE,
        reason: 'hash_mismatch',
      });
    },
  );

  it.each([
    { where: 'in the version 1 prefix', at: 2n, reason: 'hash_mismatch' },
    { where: 'on the last version 1 row', at: 3n, reason: 'hash_mismatch' },
    { where: 'on the first version 2 row', at: 4n, reason: 'content_hash_mismatch' },
    { where: 'in the version 2 rows', at: 7n, reason: 'content_hash_mismatch' },
  ])('reports an edit $where of a mixed chain at that row', ({ at, reason }) => {
    const chain = buildChainOfLength(CHAIN_LENGTH, { versionOnePrefix: VERSION_ONE_PREFIX });
    expect(verifyAuditChain({ events: tamper(chain, at, { action: 'edited' }) })).toEqual({
      ok: false,
      brokenAtSequence: at,
      reason,
    });
  });

  it('reports a version 1 row given a content hash: hash_mismatch if it recomputes, else content_hash_mismatch', () => {
    const chain = buildChainOfLength(CHAIN_LENGTH, { versionOnePrefix: VERSION_ONE_PREFIX });
    const forged = tamper(chain, 2n, { contentHash: computeAuditContentHash(chain[1]!) });
    expect(verifyAuditChain({ events: forged })).toEqual({
      ok: false,
      brokenAtSequence: 2n,
      reason: 'hash_mismatch',
    });
    expect(verifyAuditChain({ events: tamper(chain, 2n, { contentHash: new Uint8Array(32) }) })).toEqual({
      ok: false,
      brokenAtSequence: 2n,
      reason: 'content_hash_mismatch',
    });
  });

  it('reports previous_hash_mismatch when the first version 2 row does not link to the version 1 head', () => {
    const chain = buildChainOfLength(CHAIN_LENGTH, { versionOnePrefix: VERSION_ONE_PREFIX });
    expect(verifyAuditChain({ events: tamper(chain, 4n, { previousHash: GENESIS_HASH }) })).toEqual({
      ok: false,
      brokenAtSequence: 4n,
      reason: 'previous_hash_mismatch',
    });
  });
});

describe('AuditChainVerifier (paged)', () => {
  it('gives the same result fed page by page as all at once', () => {
    const chain = buildChainOfLength(CHAIN_LENGTH);
    const verifier = new AuditChainVerifier();
    for (let start = 0; start < chain.length; start += 3) verifier.pushPage(chain.slice(start, start + 3));
    expect(verifier.result()).toEqual(verifyAuditChain({ events: chain }));
  });

  it('resumes after a trusted checkpoint', () => {
    const chain = buildChainOfLength(CHAIN_LENGTH);
    const checkpoint = { sequence: chain[3]!.sequence, hash: chain[3]!.hash };
    const result = verifyAuditChain({ events: chain.slice(4), after: checkpoint });
    expect(result).toEqual({ ok: true, count: 4, headHash: chain[7]!.hash, lastSequence: 8n });
    expect(verifyAuditChain({ events: chain.slice(5), after: checkpoint })).toEqual({
      ok: false,
      brokenAtSequence: 5n,
      reason: 'sequence_gap',
    });
  });

  it('stays broken after the first break and stops reading pages', async () => {
    const chain = tamper(buildChainOfLength(CHAIN_LENGTH), 2n, { action: 'edited' });
    let pagesRead = 0;
    async function* pages(): AsyncGenerator<ChainedAuditEvent[]> {
      for (let start = 0; start < chain.length; start += 2) {
        pagesRead += 1;
        yield chain.slice(start, start + 2);
      }
    }
    await expect(verifyAuditChainPages({ pages: pages() })).resolves.toEqual({
      ok: false,
      brokenAtSequence: 2n,
      reason: 'content_hash_mismatch',
    });
    expect(pagesRead).toBe(1);
  });
});

function swap(chain: ChainedAuditEvent[], left: number, right: number): ChainedAuditEvent[] {
  const copy = [...chain];
  [copy[left], copy[right]] = [chain[right]!, chain[left]!];
  return copy;
}
