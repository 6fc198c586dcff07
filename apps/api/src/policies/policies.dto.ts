import { type PolicyDocument } from '@proco/policy';
import { z } from 'zod';
import { PAGE_SIZE_DEFAULT, PAGE_SIZE_MAX } from '../common/pagination';
import { BACKTEST_DAYS_MAX } from './policy-backtest.limits';

/** Which policy: the org default (applies to every agent) or one agent's. */
export type PolicyTarget = { readonly level: 'org' } | { readonly level: 'agent'; readonly agentId: string };

export const ListPolicyVersionsQuerySchema = z.strictObject({
  limit: z.coerce.number().int().min(1).max(PAGE_SIZE_MAX).default(PAGE_SIZE_DEFAULT),
  /** Versions older than this one (the `nextCursor` of the previous page). */
  cursor: z.coerce.number().int().min(2).max(2_147_483_647).optional(),
});
export type ListPolicyVersionsQuery = z.infer<typeof ListPolicyVersionsQuerySchema>;

export const PolicyVersionParamSchema = z.coerce.number().int().min(1).max(2_147_483_647);

/** One immutable version of a policy. */
export interface PolicyVersionView {
  readonly level: 'org' | 'agent';
  readonly agentId: string | null;
  readonly version: number;
  readonly current: boolean;
  readonly document: PolicyDocument;
  readonly createdAt: string;
  readonly createdBy: string | null;
}

/** A hypothetical payment to evaluate without effect (`POST /v1/policies/evaluate`). */
export const EvaluatePaymentSchema = z.strictObject({
  agentId: z.uuid({ message: 'must be a UUID' }),
  payment: z.strictObject({
    url: z.string().min(1).max(2_048),
    method: z.string().regex(/^[A-Za-z]{1,16}$/, 'an HTTP method'),
    payTo: z.string().min(1).max(128),
    network: z.string().min(1).max(64),
    asset: z.string().min(1).max(128),
    /** Atomic units, as a decimal string. */
    amount: z
      .string()
      .regex(/^(0|[1-9][0-9]{0,77})$/, 'a non-negative integer in atomic units, as a decimal string'),
  }),
});
export type EvaluatePayment = z.infer<typeof EvaluatePaymentSchema>;

/**
 * A backtest of draft policies against an agent's recorded payments (`POST /v1/policies/backtest`).
 * A draft level left out keeps that level's current policy. The drafts are validated by the
 * policy schema in the service, so that their field errors carry `draft.org.` / `draft.agent.`.
 */
export const BacktestPolicySchema = z.strictObject({
  agentId: z.uuid({ message: 'must be a UUID' }),
  days: z.number().int().min(1).max(BACKTEST_DAYS_MAX),
  draft: z.strictObject({
    org: z.unknown().optional(),
    agent: z.unknown().optional(),
  }),
});
export type BacktestPolicy = z.infer<typeof BacktestPolicySchema>;
