import { z } from 'zod';
import { PAGE_SIZE_DEFAULT, PAGE_SIZE_MAX } from '../common/pagination';

export const ListAuditEventsQuerySchema = z.strictObject({
  limit: z.coerce.number().int().min(1).max(PAGE_SIZE_MAX).default(PAGE_SIZE_DEFAULT),
  /** Events older than this sequence number (the `nextCursor` of the previous page). */
  cursor: z
    .string()
    .regex(/^[1-9][0-9]{0,18}$/, 'a sequence number')
    .optional(),
});
export type ListAuditEventsQuery = z.infer<typeof ListAuditEventsQuerySchema>;

export interface AuditEventView {
  readonly sequence: string;
  readonly action: string;
  readonly actor: { readonly type: string; readonly id: string | null };
  readonly subject: { readonly type: string; readonly id: string | null };
  readonly data: unknown;
  readonly requestId: string | null;
  readonly occurredAt: string;
  readonly hash: string;
}

export type AuditVerificationView =
  | { readonly ok: true; readonly count: number; readonly headHash: string }
  | { readonly ok: false; readonly brokenAtSequence: string; readonly reason: string };
