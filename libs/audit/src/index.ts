// Public API of @proco/audit: canonical JSON and the hash chain of the append-only audit log.
export { canonicalJson } from './canonical-json';
export {
  AUDIT_CONTENT_HASH_VERSION,
  AUDIT_HASH_LENGTH_BYTES,
  GENESIS_HASH,
  computeAuditContentHash,
  computeAuditHash,
  computeAuditLinkHash,
} from './audit-hash';
export {
  AUDIT_FIRST_SEQUENCE,
  AuditChainVerifier,
  verifyAuditChain,
  verifyAuditChainPages,
} from './audit-chain-verifier';
export {
  AuditError,
  AuditHashInvalidError,
  AuditSequenceInvalidError,
  CanonicalJsonTooDeepError,
  CanonicalJsonUnsupportedError,
} from './audit.errors';

export type { AuditEventContent, AuditEventRecord, ChainedAuditEvent } from './audit-event';
export type {
  ComputeAuditHashParams,
  ComputeAuditHashResult,
  ComputeAuditLinkHashParams,
} from './audit-hash';
export type {
  AuditChainBreakReason,
  AuditChainCheckpoint,
  AuditChainVerifierParams,
  VerifyAuditChainPagesParams,
  VerifyAuditChainParams,
  VerifyAuditChainResult,
} from './audit-chain-verifier';
export type { AuditErrorCode } from './audit.errors';
