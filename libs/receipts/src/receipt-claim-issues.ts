import type { z } from 'zod';

import type { ReceiptClaimIssue } from './receipt.errors';

// A hostile token can carry thousands of bad claims; the error lists a bounded number.
const CLAIM_ISSUES_MAX = 20;

/** Internal: zod issues as `{ path, message }`, without the offending values. */
export function claimIssuesOf(error: z.ZodError): ReceiptClaimIssue[] {
  return error.issues.slice(0, CLAIM_ISSUES_MAX).map((issue) => ({
    path: issue.path.map(String).join('.'),
    message: issue.message,
  }));
}
