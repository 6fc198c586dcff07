import { createHash } from 'node:crypto';

import type { AuditEventContent, AuditEventRecord } from './audit-event';
import { AuditHashInvalidError, AuditSequenceInvalidError } from './audit.errors';
import { canonicalJson } from './canonical-json';

/** Audit hashes are SHA-256 digests. */
export const AUDIT_HASH_LENGTH_BYTES = 32;

/** The `v` field of every version 2 content hash input. */
export const AUDIT_CONTENT_HASH_VERSION = 2;

/** The sequence enters the link hash as PostgreSQL's `int8send` writes it: 8 bytes, big-endian. */
const SEQUENCE_LENGTH_BYTES = 8;
/** The largest PostgreSQL `bigint`, the type of `audit_events.sequence`. */
const SEQUENCE_MAX = 2n ** 63n - 1n;

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
 * Version 1, the hash of rows written before content hashes existed (their `content_hash` is
 * NULL); kept so those rows keep verifying. New events use `computeAuditContentHash` and
 * `computeAuditLinkHash`.
 *
 * SHA-256(previousHash || canonicalJson(fields)), where fields are the record's ten columns with
 * `sequence` as a decimal string and `occurredAt` as an ISO 8601 string with milliseconds.
 * Only those fields are read, so a full database row (with its hashes) can be passed as is.
 *
 * Throws `audit_hash_invalid` (previousHash not 32 bytes), `canonical_json_unsupported` or
 * `canonical_json_too_deep` (data with no canonical form).
 */
export function computeAuditHash(params: ComputeAuditHashParams): ComputeAuditHashResult {
  const { previousHash, event } = params;
  assertHashLength('previousHash', previousHash);
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

/**
 * Version 2, part one: what the event says, independent of where it lands in its chain.
 * SHA-256(canonicalJson({ v: 2, chain, orgId, actorType, actorId, action, subjectType, subjectId,
 * data, requestId, occurredAt })), `occurredAt` as an ISO 8601 string with milliseconds.
 *
 * The writer computes it before the chain is touched, so the part of an append that holds the
 * chain's lock only has `computeAuditLinkHash` left to do (in SQL). Only the named fields are
 * read, so a full database row can be passed as is.
 *
 * Throws `canonical_json_unsupported` or `canonical_json_too_deep` (data with no canonical form).
 */
export function computeAuditContentHash(event: AuditEventContent): Uint8Array {
  const hashedFields = {
    v: AUDIT_CONTENT_HASH_VERSION,
    chain: event.chain,
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
  return Uint8Array.from(createHash('sha256').update(canonicalJson(hashedFields), 'utf8').digest());
}

export type ComputeAuditLinkHashParams = {
  /** The hash of the event before in the chain, or `GENESIS_HASH` for the first event. */
  previousHash: Uint8Array;
  sequence: bigint;
  contentHash: Uint8Array;
};

/**
 * Version 2, part two: binds the content to its place in the chain.
 * SHA-256(previousHash || sequence as 8 bytes big-endian || contentHash), 72 bytes of input.
 * The SQL function `proco_audit_append` computes the same value as
 * `sha256(previous_hash || int8send(sequence) || content_hash)`.
 *
 * Throws `audit_hash_invalid` (a hash not 32 bytes) or `audit_sequence_invalid` (a sequence
 * outside 1..2^63-1, the positive range of a PostgreSQL bigint).
 */
export function computeAuditLinkHash(params: ComputeAuditLinkHashParams): Uint8Array {
  const { previousHash, sequence, contentHash } = params;
  assertHashLength('previousHash', previousHash);
  assertHashLength('contentHash', contentHash);
  if (sequence < 1n || sequence > SEQUENCE_MAX) throw new AuditSequenceInvalidError({ sequence });
  const sequenceBytes = Buffer.alloc(SEQUENCE_LENGTH_BYTES);
  sequenceBytes.writeBigInt64BE(sequence);
  const digest = createHash('sha256').update(previousHash).update(sequenceBytes).update(contentHash).digest();
  return Uint8Array.from(digest);
}

function assertHashLength(field: 'previousHash' | 'contentHash', hash: Uint8Array): void {
  if (hash.byteLength !== AUDIT_HASH_LENGTH_BYTES) {
    throw new AuditHashInvalidError({ field, lengthBytes: hash.byteLength });
  }
}
