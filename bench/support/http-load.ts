// Load on POST /v1/payments with autocannon (programmatic): every request gets a fresh
// Idempotency-Key and the next agent token in rotation, so each one is a new purchase.
import { randomUUID } from 'node:crypto';
import autocannon from 'autocannon';

export interface PaymentsLoadResult {
  readonly connections: number;
  readonly agents: number;
  readonly durationSeconds: number;
  readonly requests: number;
  readonly created: number;
  readonly throughputPerSecond: number;
  readonly p50Ms: number;
  readonly p90Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  readonly non2xx: number;
  readonly errors: number;
  readonly timeouts: number;
  readonly statusCodes: Record<string, number>;
}

export async function loadPayments(params: {
  baseUrl: string;
  tokens: readonly string[];
  body: string;
  connections: number;
  durationSeconds: number;
}): Promise<PaymentsLoadResult> {
  let next = 0;
  const result = await autocannon({
    url: params.baseUrl,
    connections: params.connections,
    duration: params.durationSeconds,
    timeout: 30,
    requests: [
      {
        method: 'POST',
        path: '/v1/payments',
        body: params.body,
        setupRequest: (request) => {
          const token = params.tokens[next % params.tokens.length];
          next += 1;
          return {
            ...request,
            headers: {
              'content-type': 'application/json',
              authorization: `Bearer ${token}`,
              'idempotency-key': randomUUID(),
            },
          };
        },
      },
    ],
  });
  const statusCodes = Object.fromEntries(
    Object.entries(result.statusCodeStats ?? {}).map(([code, stats]) => [code, stats.count]),
  );
  const created = statusCodes['201'] ?? 0;
  return {
    connections: params.connections,
    agents: params.tokens.length,
    durationSeconds: result.duration,
    requests: result.requests.total,
    created,
    throughputPerSecond: created / result.duration,
    p50Ms: result.latency.p50,
    p90Ms: result.latency.p90,
    p99Ms: result.latency.p99,
    maxMs: result.latency.max,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    statusCodes,
  };
}
