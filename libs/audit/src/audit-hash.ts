import { createHash } from 'node:crypto';

import type { AuditEventRecord } from './audit-event';
import { AuditHashInvalidError } from './audit.errors';
import { canonicalJson } from './canonical-json';

/** Audit hashes are SHA-256 digests. */
export const AUDIT_HASH_LENGTH_BYTES = 32;

/**
 * The `previousHash` of the first event: 32 zero bytes. A typed array cannot be frozen, so treat
 * this as read-only; this library never reads it back, it compares against its own copy.
 */
export const GENESIS_HASH: Uint8Array = new Uint8Array(AUDIT_HASH_LENGTH_BYTES);

export type ComputeAuditHashParams = {
  previousHash: Uint8Array;
  event: AuditEventRecord;
};

export type ComputeAuditHashResult = Uint8Array;

/**
 * SHA-256(previousHash || canonicalJson(fields)), where fields are the record's ten columns with
 * `sequence` as a decimal string and `occurredAt` as an ISO 8601 string with milliseconds.
 * Only those fields are read, so a full database row (with its hashes) can be passed as is.
 *
 * Throws `audit_hash_invalid` (previousHash not 32 bytes), `canonical_json_unsupported` or
 * `canonical_json_too_deep` (data with no canonical form).
 */
export function computeAuditHash(params: ComputeAuditHashParams): ComputeAuditHashResult {
  const { previousHash, event } = params;
  if (previousHash.byteLength !== AUDIT_HASH_LENGTH_BYTES) {
    throw new AuditHashInvalidError({ field: 'previousHash', lengthBytes: previousHash.byteLength });
  }
  // Fields are picked by name, never spread, so columns added to the row later do not silently
  // change every hash, and the stored hashes themselves are never part of the input.
  const hashedFields = {
    sequence: event.sequence.toString(10),
    orgId: event.orgId,
    actorType: event.actorType,
    actorId: event.actorId,
    action: event.action,
    subjectType: event.subjectType,
    subjectId: event.subjectId,
    data: event.data,
    requestId: event.requestId,
    occurredAt: event.occurredAt,
  };
  const digest = createHash('sha256')
    .update(previousHash)
    .update(canonicalJson(hashedFields), 'utf8')
    .digest();
  return Uint8Array.from(digest);
}
