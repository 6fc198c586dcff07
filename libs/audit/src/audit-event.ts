/**
 * One audit event as hashed: the fields of an `audit_events` row without its hashes. `data` is
 * any value `canonicalJson` accepts (in practice a JSON object).
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

/** An audit event as stored: the record plus its link to the previous event and its own hash. */
export type ChainedAuditEvent = AuditEventRecord & {
  /** The `hash` of the event before, or `GENESIS_HASH` for the first event. */
  readonly previousHash: Uint8Array;
  /** `computeAuditHash({ previousHash, event })`. */
  readonly hash: Uint8Array;
};
