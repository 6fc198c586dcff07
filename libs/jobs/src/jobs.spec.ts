// Goal: the job map is closed and consistent (every job has a queue, names are recognised exactly)
// and the job options are bounded and cannot be changed at run time by a careless caller.
import { describe, expect, it } from 'vitest';

import {
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
import {
  FINISHED_JOBS_KEPT,
  MAINTENANCE_JOB_ATTEMPTS,
  MAINTENANCE_JOB_BACKOFF_MS,
  MAINTENANCE_JOB_OPTIONS,
  SETTLEMENT_JOB_ATTEMPTS,
  SETTLEMENT_JOB_OPTIONS,
  WEBHOOK_JOB_ATTEMPTS,
  WEBHOOK_JOB_OPTIONS,
} from './job-options';

describe('job map', () => {
  it('lists every job once, each on a known queue', () => {
    expect(JOB_NAMES).toEqual([
      'audit.verify-chain',
      'holds.expire-due',
      'payments.fail-stuck',
      'holds.reconcile',
      'settlements.sweep',
      'settlement.submit',
      'settlement.confirm',
      'webhooks.dispatch',
      'webhooks.deliver',
    ]);
    expect(new Set(JOB_NAMES).size).toBe(JOB_NAMES.length);
    for (const name of JOB_NAMES) expect(QUEUE_NAMES).toContain(QUEUE_OF_JOB[name]);
    expect(QUEUE_OF_JOB['audit.verify-chain']).toBe(MAINTENANCE_QUEUE);
    expect(QUEUE_OF_JOB['settlement.confirm']).toBe(SETTLEMENT_QUEUE);
    expect(QUEUE_OF_JOB['webhooks.deliver']).toBe(WEBHOOKS_QUEUE);
  });

  it.each([
    { value: 'audit.verify-chain', expected: true },
    { value: 'payments.fail-stuck', expected: true },
    { value: 'AUDIT.VERIFY-CHAIN', expected: false },
    { value: 'audit.verify-chain ', expected: false },
    { value: 'toString', expected: false },
    { value: '', expected: false },
    { value: 42, expected: false },
    { value: undefined, expected: false },
  ])('isJobName($value) is $expected', ({ value, expected }) => {
    expect(isJobName(value)).toBe(expected);
  });

  it('is frozen', () => {
    expect(Object.isFrozen(QUEUE_OF_JOB)).toBe(true);
    expect(Object.isFrozen(JOB_NAMES)).toBe(true);
    expect(Object.isFrozen(QUEUE_NAMES)).toBe(true);
  });
});

describe('settlement job ids', () => {
  it('never contain ":" (BullMQ refuses it), whatever the network id', () => {
    const id = settlementSubmitJobId({
      origin: 'settle',
      network: 'eip155:84532',
      asset: '0x8A5E73A9e2A8B9d0D60EE4E150E9FDf030C7Bdf8',
      window: 42,
    });
    expect(id).toBe('settle.submit.eip155_84532.0x8a5e73a9e2a8b9d0d60ee4e150e9fdf030c7bdf8.42');
    expect(settlementConfirmJobId('0b8e-ID')).toBe('confirm.0b8e-id');
    expect(settlementConfirmJobId('0b8e', 7)).toBe('sweep.confirm.0b8e.7');
  });

  it('keep the sweep and the API apart, and windows apart', () => {
    const base = { network: 'eip155:1', asset: '0xabc', window: 1 };
    const ids = new Set([
      settlementSubmitJobId({ ...base, origin: 'settle' }),
      settlementSubmitJobId({ ...base, origin: 'sweep' }),
      settlementSubmitJobId({ ...base, origin: 'settle', window: 2 }),
    ]);
    expect(ids.size).toBe(3);
  });
});

describe('webhook job ids', () => {
  it('name one attempt of one delivery, apart from the sweep and its windows', () => {
    const deliveryId = '0B8E5F1A-0000-4000-8000-000000000001';
    expect(webhookDeliverJobId({ deliveryId, attempt: 3 })).toBe(
      'deliver.0b8e5f1a-0000-4000-8000-000000000001.3',
    );
    const ids = new Set([
      webhookDeliverJobId({ deliveryId, attempt: 1 }),
      webhookDeliverJobId({ deliveryId, attempt: 2 }),
      webhookDeliverJobId({ deliveryId, attempt: 1, sweepWindow: 7 }),
      webhookDeliverJobId({ deliveryId, attempt: 1, sweepWindow: 8 }),
    ]);
    expect(ids.size).toBe(4);
    for (const id of ids) expect(id).not.toContain(':');
  });
});

describe('job options', () => {
  it('retries a bounded number of times with exponential backoff and keeps a bounded history', () => {
    expect(MAINTENANCE_JOB_OPTIONS).toEqual({
      attempts: MAINTENANCE_JOB_ATTEMPTS,
      backoff: { type: 'exponential', delay: MAINTENANCE_JOB_BACKOFF_MS },
      removeOnComplete: FINISHED_JOBS_KEPT,
      removeOnFail: FINISHED_JOBS_KEPT,
    });
    expect(MAINTENANCE_JOB_ATTEMPTS).toBeGreaterThanOrEqual(1);
    expect(MAINTENANCE_JOB_ATTEMPTS).toBeLessThanOrEqual(10);
    expect(MAINTENANCE_JOB_BACKOFF_MS).toBeGreaterThan(0);
    expect(FINISHED_JOBS_KEPT).toBeGreaterThan(0);
  });

  it('retries settlement jobs a bounded number of times and frees their ids once they complete', () => {
    expect(SETTLEMENT_JOB_OPTIONS.attempts).toBe(SETTLEMENT_JOB_ATTEMPTS);
    expect(SETTLEMENT_JOB_ATTEMPTS).toBeLessThanOrEqual(10);
    expect(SETTLEMENT_JOB_OPTIONS.backoff.type).toBe('exponential');
    expect(SETTLEMENT_JOB_OPTIONS.removeOnComplete).toBe(true);
    expect(SETTLEMENT_JOB_OPTIONS.removeOnFail).toBe(FINISHED_JOBS_KEPT);
  });

  it('retries webhook jobs a bounded number of times and frees their ids once they complete', () => {
    expect(WEBHOOK_JOB_OPTIONS.attempts).toBe(WEBHOOK_JOB_ATTEMPTS);
    expect(WEBHOOK_JOB_ATTEMPTS).toBeLessThanOrEqual(10);
    expect(WEBHOOK_JOB_OPTIONS.backoff.type).toBe('exponential');
    expect(WEBHOOK_JOB_OPTIONS.removeOnComplete).toBe(true);
    expect(Object.isFrozen(WEBHOOK_JOB_OPTIONS.backoff)).toBe(true);
  });

  it('is frozen, nested backoff included', () => {
    expect(Object.isFrozen(SETTLEMENT_JOB_OPTIONS.backoff)).toBe(true);
    expect(Object.isFrozen(MAINTENANCE_JOB_OPTIONS)).toBe(true);
    expect(Object.isFrozen(MAINTENANCE_JOB_OPTIONS.backoff)).toBe(true);
  });
});
