// Goal: the schema accepts every documented rule, and refuses bad documents with field-level issues
// that name the offending path.
import { describe, expect, it } from 'vitest';

import { parsePolicyDocument } from './policy-document.schema';
import { PolicyValidationError } from './policy.errors';
import { POLICY_RULES_PER_KIND_MAX } from './policy.limits';
import { BASE, PAYEE, USDC, buildBudget } from './policy.test-builders';

const completePolicy = {
  maxPerPayment: [{ network: BASE, asset: USDC, maxAtomic: '100000' }],
  maxPerPaymentUsd: '0.50',
  budgets: [
    buildBudget(),
    buildBudget({ id: 'lifetime-usdc', window: { kind: 'lifetime' } }),
    buildBudget({ id: 'yearly', window: { kind: 'rolling', durationSeconds: 400 * 86_400 } }),
  ],
  rateLimits: [{ id: 'per_minute', maxPayments: 10, windowSeconds: 60 }],
  networks: { allow: [BASE], deny: ['eip155:1'] },
  assets: { allow: [{ network: BASE, asset: USDC }] },
  payees: { deny: [PAYEE.toLowerCase()] },
  hosts: { allow: ['*.example.com', 'api.x.com'], deny: ['evil.example.com'] },
  paths: { allow: ['/v1/**'], deny: ['/v1/admin/*'] },
  methods: { allow: ['GET', 'post'] },
  priceCeilings: [
    { host: 'api.x.com', path: '/v1/*', method: 'GET', network: BASE, asset: USDC, maxAtomic: '50000' },
  ],
  approvalThreshold: { perAsset: [{ network: BASE, asset: USDC, aboveAtomic: '200000' }], aboveUsd: '1' },
  activeHours: [{ timeZone: 'Europe/Berlin', days: ['mon', 'fri'], from: '22:00', to: '02:00' }],
};

function issuesOf(input: unknown): { field: string; message: string }[] {
  try {
    parsePolicyDocument(input);
  } catch (error) {
    if (error instanceof PolicyValidationError) return [...error.issues];
    throw error;
  }
  throw new Error('expected the document to be refused');
}

describe('parsePolicyDocument', () => {
  it('accepts an empty document (no rules: everything allowed)', () => {
    expect(parsePolicyDocument({})).toEqual({});
  });

  it('accepts every rule kind together and returns the document as written', () => {
    expect(parsePolicyDocument(completePolicy)).toEqual(completePolicy);
  });

  it.each([
    { scenario: 'unknown top-level key', input: { maxPerPaymentEur: '1' }, field: '(root)' },
    { scenario: 'unknown nested key', input: { budgets: [buildBudget({ extra: 1 })] }, field: 'budgets.0' },
    {
      scenario: 'negative atomic amount',
      input: { budgets: [buildBudget({ limitAtomic: '-1' })] },
      field: 'budgets.0.limitAtomic',
    },
    {
      scenario: 'exponent amount',
      input: { budgets: [buildBudget({ limitAtomic: '1e18' })] },
      field: 'budgets.0.limitAtomic',
    },
    {
      scenario: 'hex amount',
      input: { budgets: [buildBudget({ limitAtomic: '0x10' })] },
      field: 'budgets.0.limitAtomic',
    },
    {
      scenario: 'amount above uint256',
      input: { budgets: [buildBudget({ limitAtomic: (2n ** 256n).toString() })] },
      field: 'budgets.0.limitAtomic',
    },
    {
      scenario: 'number instead of string amount',
      input: { budgets: [buildBudget({ limitAtomic: 5 })] },
      field: 'budgets.0.limitAtomic',
    },
    {
      scenario: 'window shorter than a minute',
      input: { budgets: [buildBudget({ window: { kind: 'rolling', durationSeconds: 59 } })] },
      field: 'budgets.0.window.durationSeconds',
    },
    {
      scenario: 'window longer than 400 days',
      input: { budgets: [buildBudget({ window: { kind: 'rolling', durationSeconds: 400 * 86_400 + 1 } })] },
      field: 'budgets.0.window.durationSeconds',
    },
    {
      scenario: 'fractional window',
      input: { budgets: [buildBudget({ window: { kind: 'rolling', durationSeconds: 60.5 } })] },
      field: 'budgets.0.window.durationSeconds',
    },
    {
      scenario: 'unknown window kind',
      input: { budgets: [buildBudget({ window: { kind: 'monthly' } })] },
      field: 'budgets.0.window.kind',
    },
    {
      scenario: 'duplicate budget ids',
      input: { budgets: [buildBudget(), buildBudget()] },
      field: 'budgets.1.id',
    },
    {
      scenario: 'budget id with spaces',
      input: { budgets: [buildBudget({ id: 'daily usdc' })] },
      field: 'budgets.0.id',
    },
    {
      scenario: 'budget id upper case',
      input: { budgets: [buildBudget({ id: 'Daily' })] },
      field: 'budgets.0.id',
    },
    {
      scenario: 'duplicate rate-limit ids',
      input: {
        rateLimits: [
          { id: 'a', maxPayments: 1, windowSeconds: 1 },
          { id: 'a', maxPayments: 2, windowSeconds: 2 },
        ],
      },
      field: 'rateLimits.1.id',
    },
    {
      scenario: 'rate-limit window of zero',
      input: { rateLimits: [{ id: 'a', maxPayments: 1, windowSeconds: 0 }] },
      field: 'rateLimits.0.windowSeconds',
    },
    { scenario: 'network not CAIP-2', input: { networks: { allow: ['base'] } }, field: 'networks.allow.0' },
    { scenario: 'empty allow list', input: { hosts: { allow: [] } }, field: 'hosts.allow' },
    {
      scenario: 'too many entries',
      input: { methods: { deny: Array.from({ length: POLICY_RULES_PER_KIND_MAX + 1 }, () => 'GET') } },
      field: 'methods.deny',
    },
    {
      scenario: 'bad EIP-55 checksum',
      input: { payees: { deny: [PAYEE.replace('B', 'b')] } },
      field: 'payees.deny.0',
    },
    { scenario: 'short hex address', input: { payees: { deny: ['0x1234'] } }, field: 'payees.deny.0' },
    { scenario: 'Unicode host', input: { hosts: { deny: ['bücher.de'] } }, field: 'hosts.deny.0' },
    { scenario: 'host with scheme', input: { hosts: { deny: ['https://x.com'] } }, field: 'hosts.deny.0' },
    {
      scenario: 'pattern too long',
      input: { paths: { deny: [`/${'a'.repeat(256)}`] } },
      field: 'paths.deny.0',
    },
    { scenario: 'relative path', input: { paths: { allow: ['v1/*'] } }, field: 'paths.allow.0' },
    {
      scenario: 'method with a space',
      input: { methods: { allow: ['GET POST'] } },
      field: 'methods.allow.0',
    },
    { scenario: 'USD with exponent', input: { maxPerPaymentUsd: '5e-2' }, field: 'maxPerPaymentUsd' },
    {
      scenario: 'negative USD',
      input: { approvalThreshold: { aboveUsd: '-1' } },
      field: 'approvalThreshold.aboveUsd',
    },
    {
      scenario: 'unknown time zone',
      input: { activeHours: [{ timeZone: 'Mars/Olympus', days: ['mon'], from: '08:00', to: '20:00' }] },
      field: 'activeHours.0.timeZone',
    },
    {
      scenario: 'unknown day',
      input: { activeHours: [{ timeZone: 'UTC', days: ['monday'], from: '08:00', to: '20:00' }] },
      field: 'activeHours.0.days.0',
    },
    {
      scenario: 'repeated day',
      input: { activeHours: [{ timeZone: 'UTC', days: ['mon', 'mon'], from: '08:00', to: '20:00' }] },
      field: 'activeHours.0.days',
    },
    {
      scenario: 'from 24:00',
      input: { activeHours: [{ timeZone: 'UTC', days: ['mon'], from: '24:00', to: '20:00' }] },
      field: 'activeHours.0.from',
    },
    {
      scenario: 'empty window',
      input: { activeHours: [{ timeZone: 'UTC', days: ['mon'], from: '08:00', to: '08:00' }] },
      field: 'activeHours.0.to',
    },
    { scenario: 'no active-hours windows', input: { activeHours: [] }, field: 'activeHours' },
  ])('refuses $scenario at $field', ({ input, field }) => {
    expect(issuesOf(input).map((issue) => issue.field)).toContain(field);
  });

  it('lists every offending field at once', () => {
    const issues = issuesOf({ maxPerPaymentUsd: 'x', budgets: [buildBudget({ limitAtomic: 'y' })] });
    expect(issues.map((issue) => issue.field)).toEqual(['maxPerPaymentUsd', 'budgets.0.limitAtomic']);
  });

  it.each([null, 'policy', 42, []])('refuses a non-object document %j', (input) => {
    expect(issuesOf(input)).toEqual([{ field: '(root)', message: expect.any(String) }]);
  });
});
