// Public API of @proco/jobs: the BullMQ queue names, job names, payload types and job options
// that producers (the API) and processors (the worker) share. Plain values and types only: it
// imports no Nest, BullMQ, Redis or Prisma, so either side can depend on it.
export {
  isJobName,
  JOB_NAMES,
  MAINTENANCE_QUEUE,
  QUEUE_NAMES,
  QUEUE_OF_JOB,
  SETTLEMENT_QUEUE,
  settlementConfirmJobId,
  settlementSubmitJobId,
  WEBHOOKS_QUEUE,
  webhookDeliverJobId,
} from './job-map';
export {
  FINISHED_JOBS_KEPT,
  MAINTENANCE_JOB_ATTEMPTS,
  MAINTENANCE_JOB_BACKOFF_MS,
  MAINTENANCE_JOB_OPTIONS,
  SETTLEMENT_JOB_ATTEMPTS,
  SETTLEMENT_JOB_BACKOFF_MS,
  SETTLEMENT_JOB_OPTIONS,
  WEBHOOK_JOB_ATTEMPTS,
  WEBHOOK_JOB_BACKOFF_MS,
  WEBHOOK_JOB_OPTIONS,
} from './job-options';

export type { JobItem, JobName, JobOf, JobPayloads, JobRequester, QueueName } from './job-map';
export type { ProcoJobOptions } from './job-options';
