import { timingSafeEqual } from 'node:crypto';

import type { ChainedAuditEvent } from './audit-event';
import {
  AUDIT_HASH_LENGTH_BYTES,
  computeAuditContentHash,
  computeAuditHash,
  computeAuditLinkHash,
} from './audit-hash';

/** The sequence of the first event of a chain (PostgreSQL sequences start at 1). */
export const AUDIT_FIRST_SEQUENCE = 1n;

/**
 * Why a chain does not verify, in the order the checks run for each event:
 * - `sequence_gap`: a row is missing, duplicated, renumbered or out of order;
 * - `previous_hash_mismatch`: the row does not link to the hash of the row before;
 * - `content_hash_mismatch`: the row's fields (or its stored content hash) were changed, so its
 *   content hash no longer recomputes (version 2 rows only);
 * - `hash_mismatch`: the row's own hash does not recompute (for version 1 rows this is also what
 *   an edited field shows as).
 */
export type AuditChainBreakReason =
  'sequence_gap' | 'previous_hash_mismatch' | 'content_hash_mismatch' | 'hash_mismatch';

/** The outcome of verifying a chain (or a chain segment). */
export type VerifyAuditChainResult =
  | {
      ok: true;
      /** Events verified (not counting the checkpoint the verification started after). */
      count: number;
      /** Hash of the last verified event: anchor it outside the database to detect rewrites. */
      headHash: Uint8Array;
      /** Sequence of the last verified event; null when no event was seen. */
      lastSequence: bigint | null;
    }
  | {
      ok: false;
      /**
       * The first sequence that could not be verified: for `sequence_gap` the missing (expected)
       * sequence, otherwise the sequence of the event whose link or hash is wrong.
       */
      brokenAtSequence: bigint;
      reason: AuditChainBreakReason;
    };

/** A verified point to resume from: the sequence and hash of the last event already trusted. */
export type AuditChainCheckpoint = {
  sequence: bigint;
  hash: Uint8Array;
};

export type AuditChainVerifierParams = {
  /** Resume after this trusted event instead of from the genesis of the chain. */
  after?: AuditChainCheckpoint;
};

/**
 * Incremental chain verification for callers that read events page by page (a database cursor):
 * feed events in sequence order with `push` or `pushPage`, then read `result()`. Holds only the
 * running head, so memory stays constant however long the chain. Once broken it stays broken and
 * ignores further events.
 */
export class AuditChainVerifier {
  #expectedSequence: bigint;
  #headHash: Uint8Array;
  #lastSequence: bigint | null;
  #count = 0;
  #broken: { brokenAtSequence: bigint; reason: AuditChainBreakReason } | null = null;

  constructor(params: AuditChainVerifierParams = {}) {
    const { after } = params;
    // A private genesis copy: the exported GENESIS_HASH is a mutable typed array.
    this.#headHash =
      after === undefined ? new Uint8Array(AUDIT_HASH_LENGTH_BYTES) : Uint8Array.from(after.hash);
    this.#expectedSequence = after === undefined ? AUDIT_FIRST_SEQUENCE : after.sequence + 1n;
    this.#lastSequence = after === undefined ? null : after.sequence;
  }

  /**
   * Checks one event; returns false once the chain is broken. A version 2 row (with a content
   * hash) must have a content hash that recomputes from its fields and a hash that recomputes from
   * the running head, its sequence and that content hash; a version 1 row (content hash NULL) must
   * have the version 1 hash. So a chain may start with version 1 rows and continue with version 2.
   */
  push(event: ChainedAuditEvent): boolean {
    if (this.#broken !== null) return false;
    const sequence = event.sequence;
    if (sequence !== this.#expectedSequence) {
      return this.#breakAt({ brokenAtSequence: this.#expectedSequence, reason: 'sequence_gap' });
    }
    if (!bytesEqual(event.previousHash, this.#headHash)) {
      return this.#breakAt({ brokenAtSequence: sequence, reason: 'previous_hash_mismatch' });
    }
    const { contentHash } = event;
    if (contentHash !== null && !bytesEqual(contentHash, computeAuditContentHash(event))) {
      return this.#breakAt({ brokenAtSequence: sequence, reason: 'content_hash_mismatch' });
    }
    // Recompute from the trusted running head, not from the row's own previousHash (they are
    // equal here, but the head is the value this verifier vouches for).
    const recomputed =
      contentHash === null
        ? computeAuditHash({ previousHash: this.#headHash, event })
        : computeAuditLinkHash({ previousHash: this.#headHash, sequence, contentHash });
    if (!bytesEqual(event.hash, recomputed)) {
      return this.#breakAt({ brokenAtSequence: sequence, reason: 'hash_mismatch' });
    }
    this.#headHash = recomputed;
    this.#lastSequence = sequence;
    this.#expectedSequence = sequence + 1n;
    this.#count += 1;
    return true;
  }

  /** Checks a page of events in order; returns false once the chain is broken. */
  pushPage(events: Iterable<ChainedAuditEvent>): boolean {
    for (const event of events) {
      if (!this.push(event)) return false;
    }
    return this.#broken === null;
  }

  /** The outcome so far. */
  result(): VerifyAuditChainResult {
    if (this.#broken !== null) return { ok: false, ...this.#broken };
    return {
      ok: true,
      count: this.#count,
      headHash: Uint8Array.from(this.#headHash),
      lastSequence: this.#lastSequence,
    };
  }

  #breakAt(broken: { brokenAtSequence: bigint; reason: AuditChainBreakReason }): false {
    this.#broken = broken;
    return false;
  }
}

export type VerifyAuditChainParams = AuditChainVerifierParams & {
  /** Events in ascending sequence order. */
  events: Iterable<ChainedAuditEvent>;
};

/**
 * Verifies a whole chain (or the segment after a checkpoint) held in memory or produced by a
 * synchronous iterator. Reports the first break; see `AuditChainVerifier` for paged input.
 */
export function verifyAuditChain(params: VerifyAuditChainParams): VerifyAuditChainResult {
  const verifier = new AuditChainVerifier(params.after === undefined ? {} : { after: params.after });
  verifier.pushPage(params.events);
  return verifier.result();
}

export type VerifyAuditChainPagesParams = AuditChainVerifierParams & {
  /** Pages of events in ascending sequence order, such as a repository's paged reader. */
  pages: AsyncIterable<Iterable<ChainedAuditEvent>>;
};

/**
 * Verifies a chain read page by page from an async source, stopping at the first break so a
 * broken chain does not read the rest of the table.
 */
export async function verifyAuditChainPages(
  params: VerifyAuditChainPagesParams,
): Promise<VerifyAuditChainResult> {
  const verifier = new AuditChainVerifier(params.after === undefined ? {} : { after: params.after });
  for await (const page of params.pages) {
    if (!verifier.pushPage(page)) break;
  }
  return verifier.result();
}

// Hashes are public, so constant time is not needed for secrecy; timingSafeEqual is simply a
// correct byte comparison that needs equal lengths, which the length check guarantees.
function bytesEqual(left: Uint8Array, right: Uint8Array): boolean {
  return left.byteLength === right.byteLength && timingSafeEqual(left, right);
}
