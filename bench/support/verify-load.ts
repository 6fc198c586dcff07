// Load on a facilitator's POST /verify with autocannon (programmatic): every request carries the
// next pre-signed payment of a shared pool, and every answer is read, so the figures count valid
// verdicts (`isValid: true`) apart from refusals (`isValid: false`, by reason) and non-200s.
import autocannon from 'autocannon';

/** A pool of request bodies read from `start` on; `take()` hands out the next one. */
export class PayloadCursor {
  private next: number;
  /** Bodies handed out past the end of the pool (they wrap around: a repeat, not a fresh payment). */
  wrapped = 0;

  constructor(
    private readonly bodies: readonly string[],
    readonly start: number,
  ) {
    this.next = start;
  }

  /** How many bodies were handed out. */
  get used(): number {
    return this.next - this.start;
  }

  take(): string {
    if (this.bodies.length === 0) throw new Error('The payload pool is empty.');
    if (this.next >= this.bodies.length) this.wrapped += 1;
    const body = this.bodies[this.next % this.bodies.length];
    this.next += 1;
    if (body === undefined) throw new Error('The payload pool has a hole.');
    return body;
  }
}

export interface VerifyLoadResult {
  readonly connections: number;
  readonly durationSeconds: number;
  /** Requests answered (autocannon's count). */
  readonly requests: number;
  /** 200 answers with `isValid: true`. */
  readonly valid: number;
  /** 200 answers with `isValid: false`. */
  readonly invalid: number;
  readonly invalidReasons: Record<string, number>;
  readonly non2xx: number;
  readonly errors: number;
  readonly timeouts: number;
  readonly statusCodes: Record<string, number>;
  /** Valid verdicts per second: the throughput figure. */
  readonly throughputPerSecond: number;
  readonly requestsPerSecond: number;
  readonly p50Ms: number;
  readonly p90Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  /** Where in the pool this phase started, how many payloads it took, and how many were repeats. */
  readonly poolStart: number;
  readonly poolUsed: number;
  readonly poolWrapped: number;
}

export async function loadVerify(params: {
  url: string;
  path: string;
  headers: Record<string, string>;
  cursor: PayloadCursor;
  connections: number;
  durationSeconds: number;
}): Promise<VerifyLoadResult> {
  let valid = 0;
  let invalid = 0;
  const invalidReasons: Record<string, number> = {};
  const headers = { ...params.headers, 'content-type': 'application/json' };
  const result = await autocannon({
    url: params.url,
    connections: params.connections,
    duration: params.durationSeconds,
    timeout: 30,
    requests: [
      {
        method: 'POST',
        path: params.path,
        setupRequest: (request) => ({ ...request, headers, body: params.cursor.take() }),
        onResponse: (status, body) => {
          if (status !== 200) return;
          const verdict = parseVerdict(body);
          if (verdict.isValid) {
            valid += 1;
            return;
          }
          invalid += 1;
          invalidReasons[verdict.reason] = (invalidReasons[verdict.reason] ?? 0) + 1;
        },
      },
    ],
  });
  const statusCodes = Object.fromEntries(
    Object.entries(result.statusCodeStats ?? {}).map(([code, stats]) => [code, stats.count]),
  );
  return {
    connections: params.connections,
    durationSeconds: result.duration,
    requests: result.requests.total,
    valid,
    invalid,
    invalidReasons,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    statusCodes,
    throughputPerSecond: valid / result.duration,
    requestsPerSecond: result.requests.total / result.duration,
    p50Ms: result.latency.p50,
    p90Ms: result.latency.p90,
    p99Ms: result.latency.p99,
    maxMs: result.latency.max,
    poolStart: params.cursor.start,
    poolUsed: params.cursor.used,
    poolWrapped: params.cursor.wrapped,
  };
}

function parseVerdict(body: string): { isValid: true } | { isValid: false; reason: string } {
  try {
    const parsed = JSON.parse(body) as { isValid?: unknown; invalidReason?: unknown };
    if (parsed.isValid === true) return { isValid: true };
    return {
      isValid: false,
      reason: typeof parsed.invalidReason === 'string' ? parsed.invalidReason : 'no_reason',
    };
  } catch {
    return { isValid: false, reason: 'unparseable_answer' };
  }
}
