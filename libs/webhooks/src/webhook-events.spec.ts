// Goal: audit actions map to the documented webhook events with the subject's id in their data;
// webhook.* and unrelated actions map to nothing (so deliveries never feed themselves); a failed
// settlement is a payment failure only when it pays one of the org's payments; ids are stable.
import { describe, expect, it } from 'vitest';

import {
  isSubscribed,
  isWebhookEventType,
  WEBHOOK_EVENT_TYPES,
  WEBHOOK_SOURCE_AUDIT_ACTIONS,
  webhookEventIdOf,
  webhookEventOf,
  webhookPayloadOf,
} from './webhook-events';

const ORG_ID = '5f0c3e4a-9b1d-4c2e-8f00-123456789abc';

function auditEvent(overrides: Partial<Parameters<typeof webhookEventOf>[0]> = {}) {
  return {
    action: 'payment.authorized',
    subjectType: 'payment',
    subjectId: 'pay-1',
    data: { agentId: 'agent-1', amountAtomic: '25000' },
    ...overrides,
  };
}

describe('webhookEventOf', () => {
  it.each([
    ['payment.authorized', 'payment', 'payment.signed', 'paymentId'],
    ['payment.held_for_approval', 'payment', 'approval.required', 'paymentId'],
    ['hold.posted', 'hold', 'payment.settled', 'holdId'],
    ['payment.failed', 'payment', 'payment.failed', 'paymentId'],
    ['hold.expired', 'hold', 'hold.expired', 'holdId'],
    ['settlement.confirmed', 'settlement', 'settlement.confirmed', 'settlementId'],
    ['settlement.failed', 'settlement', 'settlement.failed', 'settlementId'],
  ])('%s -> %s', (action, subjectType, type, idMember) => {
    const mapped = webhookEventOf(auditEvent({ action, subjectType, subjectId: 'subject-1' }));
    expect(mapped?.type).toBe(type);
    expect(mapped?.data).toEqual({ agentId: 'agent-1', amountAtomic: '25000', [idMember]: 'subject-1' });
  });

  it('keeps the paymentId a posted hold records', () => {
    const mapped = webhookEventOf(
      auditEvent({ action: 'hold.posted', subjectType: 'hold', subjectId: 'h', data: { paymentId: 'p' } }),
    );
    expect(mapped).toEqual({ type: 'payment.settled', data: { paymentId: 'p', holdId: 'h' } });
  });

  it('names the amount of an approval amountAtomic, like every other event', () => {
    const mapped = webhookEventOf(
      auditEvent({
        action: 'payment.held_for_approval',
        data: { agentId: 'a', network: 'eip155:84532', amount: '300', reason: 'approval_threshold_exceeded' },
      }),
    );
    expect(mapped).toEqual({
      type: 'approval.required',
      data: {
        agentId: 'a',
        network: 'eip155:84532',
        reason: 'approval_threshold_exceeded',
        paymentId: 'pay-1',
        amountAtomic: '300',
      },
    });
  });

  it("reports a failed settlement of the org's own payment as that payment failing", () => {
    const mapped = webhookEventOf(
      auditEvent({
        action: 'settlement.failed',
        subjectType: 'settlement',
        subjectId: 's',
        data: { reason: 'invalid_exact_evm_insufficient_balance' },
        settlementPaymentId: 'p',
      }),
    );
    expect(mapped).toEqual({
      type: 'payment.failed',
      data: {
        reason: 'invalid_exact_evm_insufficient_balance',
        settlementId: 's',
        paymentId: 'p',
        failure: 'settlement_failed',
      },
    });
    const unrelated = webhookEventOf(
      auditEvent({ action: 'settlement.failed', subjectType: 'settlement', settlementPaymentId: null }),
    );
    expect(unrelated?.type).toBe('settlement.failed');
  });

  it.each([
    'webhook.created',
    'webhook.deleted',
    'webhook.payment.authorized',
    'hold.reserved',
    'hold.voided',
    'agent.created',
    'api_key.created',
    'payment.approved',
    'toString',
    '__proto__',
  ])('sends nothing for %s', (action) => {
    expect(webhookEventOf(auditEvent({ action }))).toBeNull();
  });

  it('lists the actions it maps, none of them webhook.*', () => {
    expect([...WEBHOOK_SOURCE_AUDIT_ACTIONS].sort()).toEqual([
      'hold.expired',
      'hold.posted',
      'payment.authorized',
      'payment.failed',
      'payment.held_for_approval',
      'settlement.confirmed',
      'settlement.failed',
    ]);
  });

  it('turns snake_case subject types into camelCase id members', () => {
    const mapped = webhookEventOf(auditEvent({ subjectType: 'api_key', subjectId: 'k', data: {} }));
    expect(mapped?.data).toEqual({ apiKeyId: 'k' });
    expect(webhookEventOf(auditEvent({ subjectId: null, data: {} }))?.data).toEqual({});
  });
});

describe('event types and subscriptions', () => {
  it('recognises exactly the documented types', () => {
    for (const type of WEBHOOK_EVENT_TYPES) expect(isWebhookEventType(type)).toBe(true);
    expect(isWebhookEventType('webhook.test')).toBe(false);
    expect(isWebhookEventType('*')).toBe(false);
    expect(isWebhookEventType(7)).toBe(false);
  });

  it.each([
    { eventTypes: ['*'], type: 'payment.signed', expected: true },
    { eventTypes: ['payment.signed'], type: 'payment.signed', expected: true },
    { eventTypes: ['payment.signed'], type: 'hold.expired', expected: false },
    { eventTypes: ['hold.expired', 'payment.failed'], type: 'payment.failed', expected: true },
  ])('$eventTypes receives $type: $expected', ({ eventTypes, type, expected }) => {
    expect(isSubscribed({ eventTypes, type })).toBe(expected);
  });
});

describe('ids and payloads', () => {
  it('derives a stable id from the org and the sequence', () => {
    expect(webhookEventIdOf({ orgId: ORG_ID, sequence: 42n })).toBe(
      'evt_5f0c3e4a9b1d4c2e8f00123456789abc_42',
    );
    expect(webhookEventIdOf({ orgId: ORG_ID.toUpperCase(), sequence: 42n })).toBe(
      webhookEventIdOf({ orgId: ORG_ID, sequence: 42n }),
    );
  });

  it('builds the documented body', () => {
    const payload = webhookPayloadOf({
      eventId: 'evt_1',
      type: 'payment.signed',
      occurredAt: new Date('2026-11-25T12:00:00.000Z'),
      orgId: ORG_ID,
      data: { paymentId: 'p' },
    });
    expect(payload).toEqual({
      id: 'evt_1',
      type: 'payment.signed',
      createdAt: '2026-11-25T12:00:00.000Z',
      orgId: ORG_ID,
      data: { paymentId: 'p' },
    });
  });
});
