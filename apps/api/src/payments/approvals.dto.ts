import { type z } from 'zod';
import { PageQuerySchema } from '../common/pagination';

/** `GET /v1/approvals`: one page of the org's payments waiting for an operator, oldest first. */
export const ListApprovalsQuerySchema = PageQuerySchema;

export type ListApprovalsQuery = z.output<typeof ListApprovalsQuerySchema>;

/** One payment waiting for approval, with what an operator needs to decide it. */
export interface ApprovalView {
  readonly paymentId: string;
  readonly agent: { readonly id: string; readonly name: string };
  readonly idempotencyKey: string;
  readonly resourceUrl: string;
  readonly method: string;
  readonly payTo: string | null;
  readonly network: string | null;
  readonly asset: string | null;
  readonly amount: string | null;
  /** The reason code that held the payment, e.g. `approval_threshold_exceeded`. */
  readonly reason: string | null;
  /** The rule that held it: level, kind and index in its policy. */
  readonly rule: unknown;
  /** The whole decision at the time it was held, budgets and rate limits included. */
  readonly decision: unknown;
  readonly createdAt: string;
}
