/**
 * The typed job map shared by producers (the API, the worker's schedules) and processors (the
 * worker): one queue per concern, one payload type per job name. Payloads carry ids and plain
 * values only, never key material, since Redis stores them in the clear.
 */

/** Housekeeping on a schedule: audit-chain verification, hold expiry, stuck-payment sweeps. */
export const MAINTENANCE_QUEUE = 'maintenance';

/** Putting authorizations on chain: signing and storing relayer transactions, then confirming them. */
export const SETTLEMENT_QUEUE = 'settlement';

/**
 * Webhooks: turning audit events into deliveries (on a short schedule) and delivery attempts. A
 * queue of its own, so a slow receiver never holds up maintenance or settlement.
 */
export const WEBHOOKS_QUEUE = 'webhooks';

/** Every queue Proco uses; a producer and a processor agree on these names. */
export const QUEUE_NAMES = Object.freeze([MAINTENANCE_QUEUE, SETTLEMENT_QUEUE, WEBHOOKS_QUEUE] as const);

export type QueueName = (typeof QUEUE_NAMES)[number];

/** Who asked for a maintenance run: its repeating schedule, or an operator by hand. */
export type JobRequester = 'schedule' | 'operator';

/** The payload of each job, by job name. */
export interface JobPayloads {
  'audit.verify-chain': { readonly requestedBy: JobRequester };
  'holds.expire-due': { readonly requestedBy: JobRequester };
  'payments.fail-stuck': { readonly requestedBy: JobRequester };
  /** Asks the chain about pending holds no Proco settlement covers (settled by another facilitator?). */
  'holds.reconcile': { readonly requestedBy: JobRequester };
  /** Re-enqueues settlements and relayer transactions that have no live job (the outbox sweep). */
  'settlements.sweep': { readonly requestedBy: JobRequester };
  /** Signs and stores transactions for the queued settlements of one asset on one network. */
  'settlement.submit': { readonly network: string; readonly asset: string };
  /** Broadcasts one stored relayer transaction (again, if need be) and records its chain outcome. */
  'settlement.confirm': { readonly relayerTransactionId: string };
  /** Reads new audit events of every org with endpoints and inserts their deliveries. */
  'webhooks.dispatch': { readonly requestedBy: JobRequester };
  /** One attempt of one delivery (ids only: the body and the secret are read from PostgreSQL). */
  'webhooks.deliver': { readonly deliveryId: string };
}

export type JobName = keyof JobPayloads;

/** One job of the map: its name and payload, discriminated by name. */
export type JobItem = {
  [Name in JobName]: { readonly name: Name; readonly data: JobPayloads[Name] };
}[JobName];

/** The payload type of one job name. */
export type JobOf<Name extends JobName> = JobPayloads[Name];

/**
 * The queue each job is enqueued on. A `Record` over `JobName`, so a job added to `JobPayloads`
 * without a queue does not compile.
 */
export const QUEUE_OF_JOB: Readonly<Record<JobName, QueueName>> = Object.freeze({
  'audit.verify-chain': MAINTENANCE_QUEUE,
  'holds.expire-due': MAINTENANCE_QUEUE,
  'payments.fail-stuck': MAINTENANCE_QUEUE,
  'holds.reconcile': MAINTENANCE_QUEUE,
  'settlements.sweep': MAINTENANCE_QUEUE,
  'settlement.submit': SETTLEMENT_QUEUE,
  'settlement.confirm': SETTLEMENT_QUEUE,
  'webhooks.dispatch': WEBHOOKS_QUEUE,
  'webhooks.deliver': WEBHOOKS_QUEUE,
});

/** Every job name, in declaration order. */
export const JOB_NAMES: readonly JobName[] = Object.freeze(Object.keys(QUEUE_OF_JOB) as JobName[]);

/** True when `value` names a job of the map (e.g. `job.name` as BullMQ hands it over). */
export function isJobName(value: unknown): value is JobName {
  return typeof value === 'string' && (JOB_NAMES as readonly string[]).includes(value);
}

// BullMQ job ids may not contain ':' (its key separator), which every CAIP-2 network id has.
const jobIdPart = (value: string): string => value.toLowerCase().replace(/[^a-z0-9.x-]/g, '_');

/**
 * The id of a `settlement.submit` job: one per asset, network and batch `window`, so every
 * settlement queued in a window shares one job (`origin` keeps the sweep's jobs apart from the API's).
 */
export function settlementSubmitJobId(params: {
  readonly origin: 'settle' | 'sweep';
  readonly network: string;
  readonly asset: string;
  readonly window: number;
}): string {
  return [
    params.origin,
    'submit',
    jobIdPart(params.network),
    jobIdPart(params.asset),
    String(params.window),
  ].join('.');
}

/** The id of a `settlement.confirm` job; the sweep adds its window so a failed job's id never blocks it. */
export function settlementConfirmJobId(relayerTransactionId: string, sweepWindow?: number): string {
  const base = `confirm.${jobIdPart(relayerTransactionId)}`;
  return sweepWindow === undefined ? base : `sweep.${base}.${sweepWindow}`;
}

/**
 * The id of a `webhooks.deliver` job: one per delivery and attempt number, so the same attempt is
 * never queued twice by one producer; the sweep adds its window so an old job id never blocks it.
 */
export function webhookDeliverJobId(params: {
  readonly deliveryId: string;
  readonly attempt: number;
  readonly sweepWindow?: number;
}): string {
  const base = `deliver.${jobIdPart(params.deliveryId)}.${params.attempt}`;
  return params.sweepWindow === undefined ? base : `sweep.${base}.${params.sweepWindow}`;
}
