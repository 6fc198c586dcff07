import { type PolicyDocument } from '@proco/policy';
import { z } from 'zod';
import { PAGE_SIZE_DEFAULT, PAGE_SIZE_MAX } from '../common/pagination';

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
