// Test data builders for the @proco/audit specs: audit records and correctly linked chains.
import type { AuditEventRecord, ChainedAuditEvent } from './audit-event';
import { GENESIS_HASH, computeAuditHash } from './audit-hash';

const BASE_TIME_MS = Date.UTC(2026, 0, 1, 12, 0, 0, 0);

export function buildAuditRecord(overrides: Partial<AuditEventRecord> = {}): AuditEventRecord {
  const sequence = overrides.sequence ?? 1n;
  return {
    sequence,
    orgId: '7d3c8f2e-1b4a-4c5d-9e6f-0a1b2c3d4e5f',
    actorType: 'operator',
    actorId: 'op_123',
    action: 'agent.created',
    subjectType: 'agent',
    subjectId: `agent_${sequence}`,
    data: { name: 'research-bot', limits: { perPaymentAtomic: '10000' } },
    requestId: `req_${sequence}`,
    occurredAt: new Date(BASE_TIME_MS + Number(sequence) * 1_000),
    ...overrides,
  };
}

/** Links records into a chain, assigning sequences 1..n and hashes. */
export function buildChain(records: readonly Partial<AuditEventRecord>[]): ChainedAuditEvent[] {
  const chain: ChainedAuditEvent[] = [];
  let previousHash: Uint8Array = Uint8Array.from(GENESIS_HASH);
  for (const [index, overrides] of records.entries()) {
    const event = buildAuditRecord({ ...overrides, sequence: BigInt(index + 1) });
    const hash = computeAuditHash({ previousHash, event });
    chain.push({ ...event, previousHash, hash });
    previousHash = hash;
  }
  return chain;
}

export function buildChainOfLength(length: number): ChainedAuditEvent[] {
  return buildChain(Array.from({ length }, () => ({})));
}

/** What a database round trip does to a row: JSON data re-parsed, bytes copied, dates re-created. */
export function roundTripThroughStorage(event: ChainedAuditEvent): ChainedAuditEvent {
  return {
    ...event,
    data: JSON.parse(JSON.stringify(event.data)) as unknown,
    occurredAt: new Date(event.occurredAt.toISOString()),
    previousHash: Uint8Array.from(event.previousHash),
    hash: Uint8Array.from(event.hash),
  };
}
