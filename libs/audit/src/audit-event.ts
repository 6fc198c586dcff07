/**
 * One audit event as hashed: the fields of an `audit_events` row without its chain and hashes.
 * `data` is any value `canonicalJson` accepts (in practice a JSON object).
 */
export type AuditEventRecord = {
  /** Position in the chain; the first event is 1 and every next one adds 1. */
  readonly sequence: bigint;
  readonly orgId: string | null;
  readonly actorType: string;
  readonly actorId: string | null;
  readonly action: string;
  readonly subjectType: string;
  readonly subjectId: string | null;
  readonly data: unknown;
  readonly requestId: string | null;
  /** Millisecond precision, as stored in `occurred_at TIMESTAMPTZ(3)`. */
  readonly occurredAt: Date;
};

/**
 * What a version 2 content hash covers: the event's own fields and its chain, not its sequence
 * (the position is bound by the link hash, computed where the sequence is assigned).
 */
export type AuditEventContent = Omit<AuditEventRecord, 'sequence'> & {
  /** The chain the event belongs to: its org id, or `system` for events of no org. */
  readonly chain: string;
};

/** An audit event as stored: the record plus its chain, its link to the previous event and its hashes. */
export type ChainedAuditEvent = AuditEventRecord & {
  readonly chain: string;
  /** The `hash` of the event before, or `GENESIS_HASH` for the first event. */
  readonly previousHash: Uint8Array;
  /**
   * Version 2: `computeAuditContentHash(event)`. Null for version 1 rows, written before content
   * hashes existed.
   */
  readonly contentHash: Uint8Array | null;
  /**
   * Version 2: `computeAuditLinkHash({ previousHash, sequence, contentHash })`.
   * Version 1: `computeAuditHash({ previousHash, event })`.
   */
  readonly hash: Uint8Array;
};
