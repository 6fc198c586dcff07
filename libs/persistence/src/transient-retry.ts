// Bounded retry of database work that failed only because of a concurrent transaction.

/** Attempts of one hold write before a transient conflict is given up on (STYLE rule 10). */
export const HOLD_WRITE_ATTEMPTS_MAX = 3;
/** Errors and causes inspected when looking for a database error code; chains are short. */
const ERROR_NODES_MAX = 10;

/**
 * Codes that mean "another transaction got in the way; the same work may succeed if run again":
 * PostgreSQL's serialization_failure and deadlock_detected, and Prisma's name for both.
 */
const TRANSIENT_CODES: ReadonlySet<string> = new Set(['40001', '40P01', 'P2034']);

/**
 * Every error code (`code`, `originalCode`) on the error, its `cause` chain and a Prisma error's
 * `meta.driverAdapterError`: Prisma codes (`P2010`) and PostgreSQL SQLSTATEs (`23505`) alike.
 */
export function errorCodesOf(error: unknown): Set<string> {
  const codes = new Set<string>();
  const pending: unknown[] = [error];
  const seen = new Set<unknown>();
  for (let visited = 0; visited < ERROR_NODES_MAX; visited += 1) {
    const node = pending.shift();
    if (typeof node !== 'object' || node === null) continue;
    if (seen.has(node)) continue;
    seen.add(node);
    const record = node as Record<string, unknown>;
    for (const field of ['code', 'originalCode'] as const) {
      const code = record[field];
      if (typeof code === 'string') codes.add(code);
    }
    const meta = record['meta'];
    const adapterError =
      typeof meta === 'object' && meta !== null
        ? (meta as Record<string, unknown>)['driverAdapterError']
        : undefined;
    pending.push(record['cause'], adapterError);
  }
  return codes;
}

/** Whether the error is a serialization failure or deadlock, worth running the work again. */
export function isTransientConflict(error: unknown): boolean {
  return [...errorCodesOf(error)].some((code) => TRANSIENT_CODES.has(code));
}

/**
 * Runs `work`, and again after a transient conflict, at most `attemptsMax` times in all. `work`
 * must be a whole transaction (a retried one starts from scratch) and safe to repeat.
 */
export async function withTransientRetry<Result>(
  work: () => Promise<Result>,
  attemptsMax: number = HOLD_WRITE_ATTEMPTS_MAX,
): Promise<Result> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await work();
    } catch (error: unknown) {
      if (attempt >= attemptsMax || !isTransientConflict(error)) throw error;
    }
  }
}
