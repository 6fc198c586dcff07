// Goal: settlement survives a worker killed at every step of its path (reliability plan T4) and a
// Redis killed and restarted under load (T5): afterwards every authorization is used on chain
// exactly once, every settlement is `confirmed`, every hold is posted once, no authorization rides
// in two relayer transactions, and the relayer's nonces are gap-free and match the chain. The API
// runs in-process; a worker that is to die runs as a child process, so SIGKILL takes only it.
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { type AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { getQueueToken } from '@nestjs/bullmq';
import {
  anvilDevAccount,
  eip3009Abi,
  findFreePort,
  MULTICALL3_ADDRESS,
  mintTestTokens,
  multicall3Abi,
} from '@proco/evm';
import { SETTLEMENT_QUEUE } from '@proco/jobs';
import { PrismaService } from '@proco/persistence';
import { TRANSFER_WITH_AUTHORIZATION_TYPES, decodePaymentHeader } from '@proco/x402';
import { HTTPFacilitatorClient } from '@x402/core/http';
import type { PaymentPayload, PaymentRequirements, SettleResponse } from '@x402/core/types';
import { type Queue } from 'bullmq';
import { Redis } from 'ioredis';
import request from 'supertest';
import {
  type Address,
  createPublicClient,
  decodeFunctionData,
  getAddress,
  type Hex,
  http as viemHttp,
  keccak256,
  parseTransaction,
  toHex,
} from 'viem';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { SCHEDULE_CHECK_INTERVAL_MS } from '../../apps/worker/src/job-schedules';
import { SETTLEMENT_SWEEP_INTERVAL_MS } from '../../apps/worker/src/maintenance/maintenance-schedule.service';
import {
  PENDING_TRANSACTION_GRACE_MS,
  SettlementSweepProcessor,
} from '../../apps/worker/src/maintenance/settlement-sweep.processor';
import { type SettlementFailpoint } from '../../apps/worker/src/settlement/failpoints.service';
import { type ApiHarness, startApiHarness } from '../support/api-harness';
import { startWorkerHarness, type WorkerHarness } from '../support/worker-harness';
import { startWorkerProcess, type WorkerProcess } from '../support/worker-process';

const FAILPOINT_SITES: readonly SettlementFailpoint[] = [
  'settlement.beforeSign',
  'settlement.afterPersist',
  'settlement.afterBroadcast',
  'settlement.afterReceipt',
  'settlement.afterLedger',
];
const ITERATIONS_PER_SITE = 3;
/** Authorizations settled per crash: signed fixtures, and agent payments that hold budget. */
const SIGNED_PER_ITERATION = 2;
const AGENT_PAYMENTS_PER_ITERATION = 2;
/** How long the API waits for the worker before answering `settlement_pending`. */
const SETTLE_WAIT_MS = 1_000;
/** How long a worker with a failpoint may take to reach it and die. */
const CRASH_TIMEOUT_MS = 20_000;
/** How long recovery may take after a crash. */
const RECOVERY_TIMEOUT_MS = 30_000;
/** How often the test runs the outbox sweep while it waits for a recovery. */
const SWEEP_EVERY_MS = 1_000;
/** How long a restarted worker may take to shut down gracefully. */
const WORKER_CLOSE_TIMEOUT_MS = 10_000;
/** T5: settlements submitted, how many before Redis dies, how long it stays down. */
const REDIS_LOAD_SETTLEMENTS = 20;
const AGENT_PAYMENTS_UNDER_LOAD = 4;
const REDIS_KILL_AFTER = 8;
const REDIS_DOWN_MS = 2_000;
const SUBMIT_SPACING_MS = 100;
const REDIS_READY_TIMEOUT_MS = 5_000;
/** T5: a settle call that errored while Redis was down is retried after this pause. */
const SETTLE_RETRY_MS = 250;
/** T5: how long the system gets to settle everything on its own once Redis is back. */
const REDIS_RECOVERY_TIMEOUT_MS = 30_000;
/** T5: an orphaned settlement is picked up by the next scheduled sweep, plus this much work. */
const SWEEP_PICKUP_SLACK_MS = 5_000;
const POLL_INTERVAL_MS = 100;

const PRICE = 10_000n;
const AGENT_PRICE = '25000';
const payer = anvilDevAccount({ index: 7 });
const payee = getAddress(anvilDevAccount({ index: 8 }).address);

const network = () => `eip155:${inject('chainId')}`;
const token = () => getAddress(inject('tokenAddress'));
const bearer = (secret: string) => ({ Authorization: `Bearer ${secret}` });
const publicClient = () => createPublicClient({ transport: viemHttp(inject('rpcUrl')) });
const keyOf = (authorizer: string, nonce: string) => `${authorizer.toLowerCase()}:${nonce.toLowerCase()}`;

/** One authorization the test settles, with the hold it pays when it came from an agent payment. */
interface Authorization {
  readonly payload: PaymentPayload;
  readonly requirements: PaymentRequirements;
  readonly payer: Address;
  readonly nonce: Hex;
  readonly signature: Hex;
  readonly validBefore: bigint;
  readonly holdId: string | null;
}

/** The API in-process, its clients, and the outbox sweep run by the test on the API's queue. */
interface Stack {
  readonly harness: ApiHarness;
  readonly http: ReturnType<typeof request>;
  readonly facilitator: HTTPFacilitatorClient;
  readonly prisma: PrismaService;
  readonly queue: Queue;
  readonly orgId: string;
  readonly agentToken: string;
  readonly sweep: SettlementSweepProcessor;
  /** Every authorization settled on this stack so far. */
  readonly settled: Authorization[];
}

async function startStack(environment: Record<string, string>): Promise<Stack> {
  const harness = await startApiHarness({ environment });
  try {
    await harness.app.listen(0, '127.0.0.1');
    const { port } = harness.app.getHttpServer().address() as AddressInfo;
    const http = request(harness.app.getHttpServer());
    const org = await harness.bootstrapOrg('Crash');
    const headers = bearer(org.adminKey);
    const facilitator = new HTTPFacilitatorClient({
      url: `http://127.0.0.1:${port}/facilitator`,
      createAuthHeaders: async () => ({ verify: headers, settle: headers, supported: headers }),
    });
    const agent = await http.post('/v1/agents').set(headers).send({ name: 'buyer' }).expect(201);
    const agentToken = await http
      .post(`/v1/agents/${agent.body.id}/tokens`)
      .set(headers)
      .send({ name: 't' })
      .expect(201);
    await http
      .post(`/v1/agents/${agent.body.id}/faucet`)
      .set(headers)
      .send({ amount: '5000000' })
      .expect(200);
    const prisma = harness.app.get(PrismaService);
    const queue = harness.app.get<Queue>(getQueueToken(SETTLEMENT_QUEUE), { strict: false });
    return {
      harness,
      http,
      facilitator,
      prisma,
      queue,
      orgId: org.orgId,
      agentToken: agentToken.body.secret,
      sweep: new SettlementSweepProcessor(prisma, queue),
      settled: [],
    };
  } catch (error: unknown) {
    await harness.close();
    throw error;
  }
}

/** A transfer to the payee signed by the funded payer, with a fresh nonce. */
async function signedAuthorization(): Promise<Authorization> {
  const nonce = toHex(crypto.getRandomValues(new Uint8Array(32)));
  const validBefore = BigInt(Math.floor(Date.now() / 1_000) + 300);
  const signature = await payer.signTypedData({
    domain: { name: 'USDC', version: '2', chainId: inject('chainId'), verifyingContract: token() },
    types: TRANSFER_WITH_AUTHORIZATION_TYPES,
    primaryType: 'TransferWithAuthorization',
    message: { from: payer.address, to: payee, value: PRICE, validAfter: 0n, validBefore, nonce },
  });
  const accepted = {
    scheme: 'exact',
    network: network(),
    amount: String(PRICE),
    asset: token(),
    payTo: payee,
    maxTimeoutSeconds: 300,
    extra: { name: 'USDC', version: '2' },
  };
  const authorization = {
    from: payer.address,
    to: payee,
    value: String(PRICE),
    validAfter: '0',
    validBefore: String(validBefore),
    nonce,
  };
  return {
    payload: {
      x402Version: 2,
      resource: { url: 'https://api.example.com/paid', description: 'crash test' },
      accepted,
      payload: { signature, authorization },
    } as unknown as PaymentPayload,
    requirements: accepted as unknown as PaymentRequirements,
    payer: payer.address,
    nonce,
    signature,
    validBefore,
    holdId: null,
  };
}

/** An agent's purchase through POST /v1/payments: Proco signs it and holds its amount. */
async function agentAuthorization(stack: Stack): Promise<Authorization> {
  const requirement = {
    scheme: 'exact',
    network: network(),
    amount: AGENT_PRICE,
    asset: token(),
    payTo: payee,
    maxTimeoutSeconds: 300,
    extra: { name: 'USDC', version: '2' },
  };
  const url = `https://api.example.com/weather/${crypto.randomUUID()}`;
  const paymentRequired = {
    x402Version: 2,
    error: 'Payment required',
    resource: { url, description: 'weather', mimeType: 'application/json' },
    accepts: [requirement],
  };
  const purchase = await stack.http
    .post('/v1/payments')
    .set(bearer(stack.agentToken))
    .send({
      url,
      method: 'get',
      paymentRequiredHeader: Buffer.from(JSON.stringify(paymentRequired)).toString('base64'),
    });
  expect(purchase.status, JSON.stringify(purchase.body)).toBe(201);
  const paymentId: unknown = purchase.body.paymentId;
  if (typeof paymentId !== 'string') throw new Error(`no payment id in ${JSON.stringify(purchase.body)}`);
  const hold = await stack.prisma.hold.findFirstOrThrow({ where: { paymentId } });
  expect(hold.status).toBe('pending');
  const payload = decodePaymentHeader({
    name: 'PAYMENT-SIGNATURE',
    value: purchase.body.header.value,
  }) as unknown as PaymentPayload & {
    payload: { signature: Hex; authorization: { from: Address; nonce: Hex; validBefore: string } };
  };
  const { signature, authorization } = payload.payload;
  return {
    payload,
    requirements: requirement as unknown as PaymentRequirements,
    payer: getAddress(authorization.from),
    nonce: authorization.nonce,
    signature,
    validBefore: BigInt(authorization.validBefore),
    holdId: hold.id,
  };
}

async function authorizationsFor(stack: Stack, counts: { signed: number; agent: number }) {
  const signed = await Promise.all(Array.from({ length: counts.signed }, () => signedAuthorization()));
  const agent: Authorization[] = [];
  for (let index = 0; index < counts.agent; index += 1) agent.push(await agentAuthorization(stack));
  return [...signed, ...agent];
}

function settle(stack: Stack, authorization: Authorization): Promise<SettleResponse> {
  return stack.facilitator.settle(authorization.payload, authorization.requirements);
}

function settlementsOf(stack: Stack, authorizations: readonly Authorization[]) {
  return stack.prisma.settlement.findMany({
    where: { nonce: { in: authorizations.map((item) => item.nonce.toLowerCase()) } },
    include: { relayerTransaction: true },
  });
}

/**
 * Waits until every settlement of `authorizations` is confirmed, failing at once on a `failed`
 * one and after `timeoutMs` otherwise. With `sweepEveryMs`, the test runs the outbox sweep itself
 * with its clock moved past both grace periods: what the scheduled sweep does within 40 s, sooner.
 */
async function awaitConfirmed(
  stack: Stack,
  authorizations: readonly Authorization[],
  options: { timeoutMs: number; sweepEveryMs?: number },
): Promise<void> {
  const deadline = Date.now() + options.timeoutMs;
  let nextSweepAt = Date.now();
  const summary = (row: { id: string; status: string; errorReason: string | null }) =>
    `${row.id}:${row.status}${row.errorReason === null ? '' : `:${row.errorReason}`}`;
  for (;;) {
    if (options.sweepEveryMs !== undefined && Date.now() >= nextSweepAt) {
      await stack.sweep.sweep(Date.now() + PENDING_TRANSACTION_GRACE_MS + 1_000);
      nextSweepAt = Date.now() + options.sweepEveryMs;
    }
    const rows = await settlementsOf(stack, authorizations);
    const failed = rows.filter((row) => row.status === 'failed');
    if (failed.length > 0) throw new Error(`settlements failed: ${failed.map(summary).join(', ')}`);
    if (rows.length === authorizations.length && rows.every((row) => row.status === 'confirmed')) return;
    if (Date.now() > deadline) {
      throw new Error(
        `${rows.length} of ${authorizations.length} settlements stored, not all confirmed within ${options.timeoutMs} ms: ${rows.map(summary).join(', ')}`,
      );
    }
    await sleep(POLL_INTERVAL_MS);
  }
}

/**
 * What the database and the chain hold right after a worker died at `site`, for the batch it was
 * working on: proof that the failpoint stopped it where it names. Every job passes the failpoint
 * before going further, so no job of the dead worker can have got past it.
 */
async function expectCrashState(stack: Stack, site: SettlementFailpoint, batch: readonly Authorization[]) {
  const rows = await settlementsOf(stack, batch);
  const byId = new Map(
    rows.flatMap((row) =>
      row.relayerTransaction === null ? [] : [[row.relayerTransaction.id, row.relayerTransaction] as const],
    ),
  );
  const transactions = [...byId.values()];
  const receipts = await Promise.all(
    transactions.map((transaction) =>
      publicClient()
        .getTransactionReceipt({ hash: transaction.hash as Hex })
        .catch(() => null),
    ),
  );
  const minedOnChain = receipts.filter((receipt) => receipt !== null).length;
  const allPending = transactions.every((transaction) => transaction.status === 'pending');
  switch (site) {
    case 'settlement.beforeSign':
      expect(transactions).toHaveLength(0);
      expect(rows.map((row) => row.status)).toEqual(rows.map(() => 'queued'));
      break;
    case 'settlement.afterPersist':
      // Signed and committed, but never handed to a confirm job: nothing has left the database.
      expect(transactions.length).toBeGreaterThan(0);
      expect(transactions.every((transaction) => transaction.broadcastCount === 0)).toBe(true);
      expect(allPending).toBe(true);
      expect(minedOnChain).toBe(0);
      break;
    case 'settlement.afterBroadcast':
      expect(transactions.some((transaction) => transaction.broadcastCount > 0)).toBe(true);
      expect(allPending).toBe(true);
      break;
    case 'settlement.afterReceipt':
      // On chain, not in the ledger: the restarted worker must learn the outcome from the chain.
      expect(minedOnChain).toBeGreaterThan(0);
      expect(allPending).toBe(true);
      expect(rows.some((row) => row.status === 'confirmed')).toBe(false);
      break;
    case 'settlement.afterLedger':
      expect(transactions.some((transaction) => transaction.status === 'mined')).toBe(true);
      expect(rows.some((row) => row.status === 'confirmed')).toBe(true);
      break;
  }
}

/**
 * Settles every authorization again after recovery: success, with the hash of the one transaction
 * that used it. Returns how many first answers were `settlement_pending`.
 */
async function expectSettledAnswers(
  stack: Stack,
  batch: readonly Authorization[],
  firstAnswers: readonly SettleResponse[],
): Promise<number> {
  const rows = await settlementsOf(stack, batch);
  const again = await Promise.all(batch.map((authorization) => settle(stack, authorization)));
  let pending = 0;
  for (const [index, authorization] of batch.entries()) {
    const row = rows.find((item) => item.nonce === authorization.nonce.toLowerCase());
    const answer = again[index]!;
    expect(answer).toMatchObject({ success: true, transaction: row?.transactionHash });
    const first = firstAnswers[index]!;
    if (first.success) {
      expect(first.transaction).toBe(answer.transaction);
      continue;
    }
    // Never a failure while the worker was gone: pending, with the stored hash once there was one.
    pending += 1;
    expect(first.errorReason).toBe('settlement_pending');
    if (first.transaction !== '') expect(first.transaction).toBe(answer.transaction);
  }
  return pending;
}

/** Which authorizations a relayer transaction carries, decoded from its stored signed bytes. */
function authorizationKeysOf(rawTransaction: Hex): string[] {
  const transaction = parseTransaction(rawTransaction);
  if (transaction.data === undefined) throw new Error('a relayer transaction without calldata');
  const keyOfCall = (data: Hex): string => {
    const call = decodeFunctionData({ abi: eip3009Abi, data });
    if (call.functionName !== 'transferWithAuthorization') throw new Error(`unexpected ${call.functionName}`);
    return keyOf(call.args[0], call.args[5]);
  };
  if (transaction.to?.toLowerCase() !== MULTICALL3_ADDRESS.toLowerCase())
    return [keyOfCall(transaction.data)];
  const batch = decodeFunctionData({ abi: multicall3Abi, data: transaction.data });
  if (batch.functionName !== 'aggregate3') throw new Error(`unexpected ${batch.functionName}`);
  return batch.args[0].map((call) => keyOfCall(call.callData));
}

/** The invariants over the whole stack: every authorization it settled, every relayer transaction. */
async function expectExactlyOnce(stack: Stack): Promise<void> {
  const { prisma, settled } = stack;
  const rows = await prisma.settlement.findMany({ include: { relayerTransaction: true } });
  expect(rows).toHaveLength(settled.length);
  expect(rows.filter((row) => row.status !== 'confirmed')).toEqual([]);

  // Exactly one `AuthorizationUsed` per authorization on chain, in the transaction its row names.
  const logs = await publicClient().getContractEvents({
    address: token(),
    abi: eip3009Abi,
    eventName: 'AuthorizationUsed',
    fromBlock: 0n,
  });
  const uses = new Map<string, string[]>();
  for (const log of logs) {
    const key = keyOf(log.args.authorizer!, log.args.nonce!);
    uses.set(key, [...(uses.get(key) ?? []), log.transactionHash]);
  }
  for (const authorization of settled) {
    const row = rows.find((item) => item.nonce === authorization.nonce.toLowerCase());
    const hashes = uses.get(keyOf(authorization.payer, authorization.nonce)) ?? [];
    expect(hashes, `on-chain uses of ${authorization.nonce}`).toHaveLength(1);
    expect(row?.transactionHash).toBe(hashes[0]);
    expect(row?.relayerTransaction?.hash).toBe(hashes[0]);
  }

  // No authorization rides in two relayer transactions, and each rides in the one its row names.
  const transactions = await prisma.relayerTransaction.findMany({ orderBy: { nonce: 'asc' } });
  const carriers = new Map<string, string[]>();
  for (const transaction of transactions) {
    for (const key of authorizationKeysOf(transaction.rawTransaction as Hex)) {
      carriers.set(key, [...(carriers.get(key) ?? []), transaction.id]);
    }
  }
  for (const row of rows) {
    expect(carriers.get(keyOf(row.payer, row.nonce)), `carriers of ${row.nonce}`).toEqual([
      row.relayerTransactionId,
    ]);
  }

  // One fresh relayer: nonces gap-free from 0, every transaction mined, and the chain agrees.
  expect(transactions.filter((transaction) => transaction.status !== 'mined')).toEqual([]);
  expect(transactions.map((transaction) => Number(transaction.nonce))).toEqual(
    transactions.map((_transaction, index) => index),
  );
  expect(await prisma.relayer.count()).toBe(1);
  const relayer = await prisma.relayer.findFirstOrThrow();
  const chainCount = await publicClient().getTransactionCount({
    address: getAddress(relayer.address),
    blockTag: 'latest',
  });
  expect(chainCount).toBe(transactions.length);

  for (const holdId of settled.flatMap((authorization) => authorization.holdId ?? [])) {
    const hold = await prisma.hold.findUniqueOrThrow({ where: { id: holdId } });
    expect(hold.status).toBe('posted');
    expect(hold.postedAmount?.toFixed()).toBe(AGENT_PRICE);
    expect(await prisma.auditEvent.count({ where: { subjectId: holdId, action: 'hold.posted' } })).toBe(1);
  }
}

/**
 * Stores a settlement queued a minute ago whose job is gone (as when Redis lost it), once the
 * settlement queue is idle, so that only the outbox sweep can hand it to a worker.
 */
async function queueOrphan(stack: Stack): Promise<Authorization> {
  const idleDeadline = Date.now() + REDIS_RECOVERY_TIMEOUT_MS;
  for (;;) {
    const counts = await stack.queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized');
    if (Object.values(counts).every((count) => count === 0)) break;
    if (Date.now() > idleDeadline) {
      throw new Error(`the settlement queue never went idle: ${JSON.stringify(counts)}`);
    }
    await sleep(POLL_INTERVAL_MS);
  }
  const orphan = await signedAuthorization();
  const longAgo = new Date(Date.now() - 60_000);
  await stack.prisma.settlement.create({
    data: {
      id: crypto.randomUUID(),
      orgId: stack.orgId,
      network: network(),
      requestNetwork: network(),
      x402Version: 2,
      chainId: inject('chainId'),
      asset: token().toLowerCase(),
      payer: orphan.payer.toLowerCase(),
      payTo: payee.toLowerCase(),
      amount: PRICE.toString(),
      nonce: orphan.nonce.toLowerCase(),
      validAfter: '0',
      validBefore: orphan.validBefore.toString(),
      signature: orphan.signature.toLowerCase(),
      signatureHash: keccak256(orphan.signature),
      createdAt: longAgo,
      updatedAt: longAgo,
    },
  });
  return orphan;
}

/** Workers started by the suites, killed (or closed) in `afterAll` whatever happened. */
const workerProcesses = new Set<WorkerProcess>();
const workerHarnesses = new Set<WorkerHarness>();

async function workerProcessOn(
  stack: Stack,
  options: { environment?: Record<string, string>; redisUrl?: string } = {},
): Promise<WorkerProcess> {
  const worker = await startWorkerProcess({
    databaseUrl: stack.harness.database.url,
    redisPrefix: stack.harness.config.redis.prefix,
    masterKeyBase64: stack.harness.masterKeyBase64,
    ...options,
  });
  workerProcesses.add(worker);
  void worker.exited.then(() => workerProcesses.delete(worker));
  return worker;
}

async function workerHarnessOn(stack: Stack): Promise<WorkerHarness> {
  const worker = await startWorkerHarness({
    databaseUrl: stack.harness.database.url,
    redisPrefix: stack.harness.config.redis.prefix,
    masterKeyBase64: stack.harness.masterKeyBase64,
  });
  workerHarnesses.add(worker);
  return worker;
}

/** Closes an in-process worker gracefully, failing if it does not finish in time. */
async function closeWorkerHarness(worker: WorkerHarness): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(
      () => reject(new Error(`the worker did not close within ${WORKER_CLOSE_TIMEOUT_MS} ms`)),
      WORKER_CLOSE_TIMEOUT_MS,
    );
  });
  try {
    await Promise.race([worker.close(), timeout]);
  } finally {
    clearTimeout(timer);
    workerHarnesses.delete(worker);
  }
}

async function stopAllWorkers(): Promise<void> {
  await Promise.all([...workerProcesses].map((worker) => worker.kill()));
  for (const worker of workerHarnesses) await worker.close().catch(() => undefined);
  workerHarnesses.clear();
}

/** A Redis server of the suite's own, without persistence: a restart loses everything. */
interface PrivateRedis {
  readonly url: string;
  running(): boolean;
  start(): Promise<void>;
  /** SIGKILL, as a crashed host would; resolves once the process is gone. */
  kill(): Promise<void>;
}

function privateRedis(port: number): PrivateRedis {
  const url = `redis://127.0.0.1:${port}`;
  let server: ChildProcess | undefined;
  const running = () => server !== undefined && server.exitCode === null && server.signalCode === null;
  const killOnExit = () => server?.kill('SIGKILL');
  return {
    url,
    running,
    async start() {
      const child = spawn(
        'redis-server',
        ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
        { stdio: 'ignore' },
      );
      server = child;
      process.once('exit', killOnExit);
      const deadline = Date.now() + REDIS_READY_TIMEOUT_MS;
      for (;;) {
        if (!running()) throw new Error(`redis-server on port ${port} exited (${child.exitCode})`);
        const client = new Redis(url, {
          lazyConnect: true,
          maxRetriesPerRequest: 0,
          retryStrategy: () => null,
        });
        client.on('error', () => undefined);
        try {
          await client.connect();
          if ((await client.ping()) === 'PONG') return;
        } catch {
          // Not listening yet.
        } finally {
          client.disconnect();
        }
        if (Date.now() > deadline) {
          throw new Error(`redis-server on port ${port} not ready within ${REDIS_READY_TIMEOUT_MS} ms`);
        }
        await sleep(POLL_INTERVAL_MS);
      }
    },
    async kill() {
      process.removeListener('exit', killOnExit);
      if (server === undefined || !running()) return;
      const exited = once(server, 'exit');
      server.kill('SIGKILL');
      await exited;
    },
  };
}

beforeAll(async () => {
  await mintTestTokens({
    rpcUrl: inject('rpcUrl'),
    tokenAddress: token(),
    to: payer.address,
    amountAtomic: 100_000_000n,
  });
});

afterAll(async () => {
  await stopAllWorkers();
});

describe('a worker killed at a failpoint (T4)', () => {
  let stack: Stack | undefined;

  beforeAll(async () => {
    stack = await startStack({ PROCO_SETTLE_WAIT_MS: String(SETTLE_WAIT_MS) });
  });

  afterAll(async () => {
    await stopAllWorkers();
    await stack?.harness.close();
  });

  it.each(FAILPOINT_SITES)(
    'settles everything exactly once after crashes at %s',
    async (site) => {
      const current = stack!;
      const recoveries: number[] = [];
      let pendingAnswers = 0;
      for (let iteration = 0; iteration < ITERATIONS_PER_SITE; iteration += 1) {
        const [batch, doomed] = await Promise.all([
          authorizationsFor(current, { signed: SIGNED_PER_ITERATION, agent: AGENT_PAYMENTS_PER_ITERATION }),
          workerProcessOn(current, { environment: { PROCO_FAILPOINTS: `${site}:crash` } }),
        ]);
        current.settled.push(...batch);
        const answers = Promise.all(batch.map((authorization) => settle(current, authorization)));
        const exit = await doomed.waitForExit(CRASH_TIMEOUT_MS);
        expect(exit, doomed.output()).toEqual({ code: null, signal: 'SIGKILL' });
        await expectCrashState(current, site, batch);
        // Every caller is answered while no worker runs: pending, unless the ledger recorded the
        // outcome before the crash.
        const firstAnswers = await answers;
        if (site !== 'settlement.afterLedger') {
          expect(firstAnswers.filter((answer) => answer.success)).toEqual([]);
        }

        // The dead worker's jobs stay active in BullMQ until their locks expire (30 s); the
        // outbox sweep is what hands the work to the restarted worker. That one runs in-process:
        // nothing kills it, and a child would cost a second or two of compiling per crash.
        const restartedAt = Date.now();
        const restarted = await workerHarnessOn(current);
        await awaitConfirmed(current, batch, {
          timeoutMs: RECOVERY_TIMEOUT_MS,
          sweepEveryMs: SWEEP_EVERY_MS,
        });
        recoveries.push(Date.now() - restartedAt);
        pendingAnswers += await expectSettledAnswers(current, batch, firstAnswers);
        await closeWorkerHarness(restarted);
      }
      await expectExactlyOnce(current);
      console.log(
        `[T4] ${site}: ${ITERATIONS_PER_SITE} SIGKILLs, ${ITERATIONS_PER_SITE * (SIGNED_PER_ITERATION + AGENT_PAYMENTS_PER_ITERATION)} settlements ` +
          `(${ITERATIONS_PER_SITE * AGENT_PAYMENTS_PER_ITERATION} holds), ${pendingAnswers} first answers settlement_pending; ` +
          `restart to all confirmed ms: ${recoveries.join(', ')}`,
      );
    },
    120_000,
  );
});

describe('Redis killed and restarted under load (T5)', () => {
  let redis: PrivateRedis | undefined;
  let stack: Stack | undefined;
  let worker: WorkerProcess | undefined;

  beforeAll(async () => {
    redis = privateRedis(await findFreePort());
    await redis.start();
    stack = await startStack({ REDIS_URL: redis.url, PROCO_SETTLE_WAIT_MS: String(SETTLE_WAIT_MS) });
    worker = await workerProcessOn(stack, { redisUrl: redis.url });
  });

  afterAll(async () => {
    await worker?.stop();
    await stopAllWorkers();
    try {
      // The harness drops its Redis prefix on close, so the server must be up for it.
      if (redis !== undefined && !redis.running()) await redis.start();
      await stack?.harness.close();
    } finally {
      await redis?.kill();
    }
  });

  it('loses and duplicates no settlement, and the system recovers on its own', async () => {
    const current = stack!;
    const server = redis!;
    const batch = await authorizationsFor(current, {
      signed: REDIS_LOAD_SETTLEMENTS - AGENT_PAYMENTS_UNDER_LOAD,
      agent: AGENT_PAYMENTS_UNDER_LOAD,
    });
    current.settled.push(...batch);
    const deadline = Date.now() + REDIS_RECOVERY_TIMEOUT_MS * 2;
    let erroredCalls = 0;
    // A client retries a settle that errored (Redis down is a 5xx); any answer, pending too, ends it.
    const settleUntilAnswered = async (authorization: Authorization): Promise<SettleResponse> => {
      for (;;) {
        try {
          return await settle(current, authorization);
        } catch (error: unknown) {
          erroredCalls += 1;
          if (Date.now() > deadline) throw error;
          await sleep(SETTLE_RETRY_MS);
        }
      }
    };
    const answers: Promise<SettleResponse>[] = [];
    let restarted: Promise<number> | undefined;
    for (const [index, authorization] of batch.entries()) {
      if (index === REDIS_KILL_AFTER) {
        await server.kill();
        restarted = sleep(REDIS_DOWN_MS)
          .then(() => server.start())
          .then(() => Date.now());
      }
      answers.push(settleUntilAnswered(authorization));
      await sleep(SUBMIT_SPACING_MS);
    }
    const restartedAt = await restarted!;

    // No help from the test here: the worker and the API must get everything done themselves.
    await awaitConfirmed(current, batch, { timeoutMs: REDIS_RECOVERY_TIMEOUT_MS });
    const recoveredMs = Date.now() - restartedAt;
    expect(worker!.alive(), worker!.output()).toBe(true);
    const pendingAnswers = await expectSettledAnswers(current, batch, await Promise.all(answers));
    await expectExactlyOnce(current);
    console.log(
      `[T5] ${batch.length} settlements (${AGENT_PAYMENTS_UNDER_LOAD} holds), Redis SIGKILLed after ${REDIS_KILL_AFTER} ` +
        `and down ${REDIS_DOWN_MS} ms; ${erroredCalls} settle calls errored and were retried, ` +
        `${pendingAnswers} first answers settlement_pending; Redis restart to all confirmed ms: ${recoveredMs}`,
    );
  }, 120_000);

  // The maintenance schedule (the outbox sweep among it) lives in Redis: after Redis lost its data
  // the worker registers it again within a schedule check, and the sweep then finds the orphan.
  it('still sweeps the outbox after Redis lost its data', async () => {
    const current = stack!;
    const orphan = await queueOrphan(current);
    expect(worker!.alive(), worker!.output()).toBe(true);
    await awaitConfirmed(current, [orphan], {
      timeoutMs: SCHEDULE_CHECK_INTERVAL_MS + SETTLEMENT_SWEEP_INTERVAL_MS + SWEEP_PICKUP_SLACK_MS,
    });
  }, 90_000);
});
