// Public API of @proco/persistence: PostgreSQL and Redis adapters.
export {
  AUDIT_CHAINS_PAGE_SIZE,
  AUDIT_VERIFY_PAGE_SIZE,
  auditChainOf,
  AuditLogRepository,
  prepareAuditEvent,
  SYSTEM_AUDIT_CHAIN,
} from './audit-log.repository';
export type { AppendAuditEventParams, AuditActor, PreparedAuditEvent } from './audit-log.repository';
export { CredentialRepository, LAST_USED_RESOLUTION_MS } from './credential.repository';
export type { CredentialMatch } from './credential.repository';
export { Prisma } from './generated/prisma/client';
export type {
  Agent,
  AgentToken,
  AuditEvent,
  OperatorApiKey,
  Org,
  ReceiptSigningKey,
  Relayer,
  RelayerTransaction,
  Settlement,
  Wallet,
} from './generated/prisma/client';
export {
  HOLD_AGENT_LOCK_CLASS,
  HOLD_ORG_LOCK_CLASS,
  HOLD_TRANSACTION_MAX_WAIT_MS,
  HOLD_TRANSACTION_TIMEOUT_MS,
  PostgresHoldStore,
} from './hold.store';
export {
  HOLD_WRITE_ATTEMPTS_MAX,
  errorCodesOf,
  isTransientConflict,
  withTransientRetry,
} from './transient-retry';
export { PaymentStore } from './payment.store';
export type {
  BeginApprovedPaymentParams,
  BeginApprovedPaymentResult,
  BeginPaymentParams,
  BeginPaymentResult,
  FinishPaymentParams,
  PolicyVersions,
} from './payment.store';
export { PersistenceModule } from './persistence.module';
export { CONNECTION_TIMEOUT_MS, PrismaService, STATEMENT_TIMEOUT_MS } from './prisma.service';
export { REDIS_COMMAND_TIMEOUT_MS, REDIS_CONNECT_TIMEOUT_MS, RedisService } from './redis.service';
export { QUEUE_CONNECT_TIMEOUT_MS, queueRootModule } from './queue-root.module';
export { SettlementStore, toSettlementRecord } from './settlement.store';
export type {
  AuthorizationKey,
  QueueSettlementParams,
  QueueSettlementResult,
  SettlementRecord,
  SettlementStatus,
} from './settlement.store';
export type { Transaction } from './transaction';
