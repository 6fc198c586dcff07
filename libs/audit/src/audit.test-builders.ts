// Test data builders for the @proco/audit specs: audit records and correctly linked chains.
import type { AuditEventRecord, ChainedAuditEvent } from './audit-event';
import { GENESIS_HASH, computeAuditContentHash, computeAuditHash, computeAuditLinkHash } from './audit-hash';

const BASE_TIME_MS = Date.UTC(2026, 0, 1, 12, 0, 0, 0);
const DEFAULT_ORG_ID = '7d3c8f2e-1b4a-4c5d-9e6f-0a1b2c3d4e5f';

export function buildAuditRecord(overrides: Partial<AuditEventRecord> = {}): AuditEventRecord {
  const sequence = overrides.sequence ?? 1n;
  return {
    sequence,
    orgId: DEFAULT_ORG_ID,
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

export type BuildChainOptions = {
  /** The chain every event is written to; the default org's. */
  chain?: string;
  /**
   * How many events at the start use the version 1 hash (no content hash), as rows written before
   * content hashes existed; the rest use version 2. None by default.
   */
  versionOnePrefix?: number;
};

/** Links records into a chain, assigning sequences 1..n and hashes. */
export function buildChain(
  records: readonly Partial<AuditEventRecord>[],
  options: BuildChainOptions = {},
): ChainedAuditEvent[] {
  const chainName = options.chain ?? DEFAULT_ORG_ID;
  const versionOnePrefix = options.versionOnePrefix ?? 0;
  const chain: ChainedAuditEvent[] = [];
  let previousHash: Uint8Array = Uint8Array.from(GENESIS_HASH);
  for (const [index, overrides] of records.entries()) {
    const event = { ...buildAuditRecord({ ...overrides, sequence: BigInt(index + 1) }), chain: chainName };
    let linked: ChainedAuditEvent;
    if (index < versionOnePrefix) {
      linked = { ...event, previousHash, contentHash: null, hash: computeAuditHash({ previousHash, event }) };
    } else {
      const contentHash = computeAuditContentHash(event);
      const hash = computeAuditLinkHash({ previousHash, sequence: event.sequence, contentHash });
      linked = { ...event, previousHash, contentHash, hash };
    }
    chain.push(linked);
    previousHash = linked.hash;
  }
  return chain;
}

export function buildChainOfLength(length: number, options: BuildChainOptions = {}): ChainedAuditEvent[] {
  return buildChain(
    Array.from({ length }, () => ({})),
    options,
  );
}

/** What a database round trip does to a row: JSON data re-parsed, bytes copied, dates re-created. */
export function roundTripThroughStorage(event: ChainedAuditEvent): ChainedAuditEvent {
  return {
    ...event,
    data: JSON.parse(JSON.stringify(event.data)) as unknown,
    occurredAt: new Date(event.occurredAt.toISOString()),
    previousHash: Uint8Array.from(event.previousHash),
    contentHash: event.contentHash === null ? null : Uint8Array.from(event.contentHash),
    hash: Uint8Array.from(event.hash),
  };
}
