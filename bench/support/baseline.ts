// The same-run baseline of the payment benchmark (issue 3): what the hot path costs with nothing
// but its two irreducible steps, raw viem EIP-712 signing of an EIP-3009 authorization and one raw
// PostgreSQL conditional debit on a scratch table.
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { TRANSFER_WITH_AUTHORIZATION_TYPES } from '@proco/x402';
import { Pool } from 'pg';
import { type Address, type Hex } from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { percentile } from './stats';

/** Rows of the scratch table: row 1 is the hot row, rows 1..DISTINCT_ROWS the distinct ones. */
export const DISTINCT_ROWS = 64;
const SCRATCH_TABLE = 'bench_scratch_budget';

export interface SequentialBaseline {
  readonly iterations: number;
  readonly signP50Ms: number;
  readonly debitP50Ms: number;
  /** One sign then one debit, timed together. */
  readonly combinedP50Ms: number;
  readonly combinedP99Ms: number;
}

export interface ConcurrentBaseline {
  readonly connections: number;
  readonly durationSeconds: number;
  readonly rows: 'hot' | 'distinct';
  readonly operations: number;
  readonly throughputPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** Debits the conditional UPDATE refused; 0 with the generous scratch balance. */
  readonly refused: number;
}

export interface Baseline {
  signAndDebit(row: number): Promise<boolean>;
  sign(): Promise<Hex>;
  debit(row: number): Promise<boolean>;
  close(): Promise<void>;
}

/** Creates the scratch table in the bench database and a 16-connection pool on it. */
export async function openBaseline(params: {
  databaseUrl: string;
  chainId: number;
  tokenAddress: Address;
  connections: number;
}): Promise<Baseline> {
  const pool = new Pool({ connectionString: params.databaseUrl, max: params.connections });
  await pool.query(`DROP TABLE IF EXISTS ${SCRATCH_TABLE}`);
  await pool.query(`CREATE TABLE ${SCRATCH_TABLE} (id integer PRIMARY KEY, remaining bigint NOT NULL)`);
  await pool.query(
    `INSERT INTO ${SCRATCH_TABLE} (id, remaining) SELECT g, 9000000000000000000 FROM generate_series(1, $1) g`,
    [DISTINCT_ROWS],
  );
  const account = privateKeyToAccount(generatePrivateKey());
  const domain = {
    name: 'USDC',
    version: '2',
    chainId: params.chainId,
    verifyingContract: params.tokenAddress,
  } as const;
  const to = privateKeyToAccount(generatePrivateKey()).address;
  const sign = (): Promise<Hex> => {
    const now = BigInt(Math.floor(Date.now() / 1000));
    return account.signTypedData({
      domain,
      types: TRANSFER_WITH_AUTHORIZATION_TYPES,
      primaryType: 'TransferWithAuthorization',
      message: {
        from: account.address,
        to,
        value: 1n,
        validAfter: now - 5n,
        validBefore: now + 120n,
        nonce: `0x${randomBytes(32).toString('hex')}`,
      },
    });
  };
  const debit = async (row: number): Promise<boolean> => {
    const result = await pool.query(
      `UPDATE ${SCRATCH_TABLE} SET remaining = remaining - $1 WHERE id = $2 AND remaining >= $1`,
      [1, row],
    );
    return result.rowCount === 1;
  };
  return {
    sign,
    debit,
    async signAndDebit(row) {
      await sign();
      return debit(row);
    },
    async close() {
      await pool.query(`DROP TABLE IF EXISTS ${SCRATCH_TABLE}`).catch(() => undefined);
      await pool.end();
    },
  };
}

/** Sequential latencies: sign alone, debit alone, and sign + debit, `iterations` each. */
export async function measureSequential(baseline: Baseline, iterations: number): Promise<SequentialBaseline> {
  const signs: number[] = [];
  const debits: number[] = [];
  const combined: number[] = [];
  for (let index = 0; index < iterations; index += 1) {
    let start = performance.now();
    await baseline.sign();
    signs.push(performance.now() - start);
    start = performance.now();
    await baseline.debit(1);
    debits.push(performance.now() - start);
    start = performance.now();
    await baseline.signAndDebit(1);
    combined.push(performance.now() - start);
  }
  return {
    iterations,
    signP50Ms: percentile(signs, 50),
    debitP50Ms: percentile(debits, 50),
    combinedP50Ms: percentile(combined, 50),
    combinedP99Ms: percentile(combined, 99),
  };
}

/** `connections` closed-loop workers doing sign + debit for `durationSeconds`. */
export async function measureConcurrent(
  baseline: Baseline,
  params: { connections: number; durationSeconds: number; rows: 'hot' | 'distinct' },
): Promise<ConcurrentBaseline> {
  const latencies: number[] = [];
  let refused = 0;
  const started = performance.now();
  const deadline = started + params.durationSeconds * 1000;
  await Promise.all(
    Array.from({ length: params.connections }, async (_, worker) => {
      let iteration = 0;
      while (performance.now() < deadline) {
        const row =
          params.rows === 'hot' ? 1 : ((worker + iteration * params.connections) % DISTINCT_ROWS) + 1;
        iteration += 1;
        const start = performance.now();
        if (!(await baseline.signAndDebit(row))) refused += 1;
        latencies.push(performance.now() - start);
      }
    }),
  );
  const elapsedSeconds = (performance.now() - started) / 1000;
  return {
    connections: params.connections,
    durationSeconds: params.durationSeconds,
    rows: params.rows,
    operations: latencies.length,
    throughputPerSecond: latencies.length / elapsedSeconds,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    refused,
  };
}
