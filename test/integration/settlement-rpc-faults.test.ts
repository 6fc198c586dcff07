// Goal: settlement survives an RPC that is down, slow, lying about its chain or answering garbage
// (reliability plan T7). The worker's RPC goes through a fault proxy; the API verifies on the
// direct RPC. For each fault: the settle answer is `settlement_pending`, never a failure; the rows
// are `unknown` (never `failed`) while the chain cannot be read, and end `confirmed` from chain
// evidence once it can, with one `AuthorizationUsed` log carried by the one stored raw
// transaction (no second relayer transaction or nonce for an authorization); and on a wrong chain
// id nothing is signed or sent until the RPC serves the right chain again.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { getQueueToken } from '@nestjs/bullmq';
import { eip3009Abi, mintTestTokens } from '@proco/evm';
import { SETTLEMENT_QUEUE, settlementConfirmJobId } from '@proco/jobs';
import { PrismaService, type RelayerTransaction } from '@proco/persistence';
import { TRANSFER_WITH_AUTHORIZATION_TYPES } from '@proco/x402';
import { HTTPFacilitatorClient } from '@x402/core/http';
import type { PaymentPayload, PaymentRequirements, SettleResponse } from '@x402/core/types';
import { type Queue } from 'bullmq';
import { createPublicClient, getAddress, type Hex, http as viemHttp, keccak256, toHex } from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { SettlementSweepProcessor } from '../../apps/worker/src/maintenance/settlement-sweep.processor';
import { type ApiHarness, startApiHarness } from '../support/api-harness';
import { type RpcFault, type RpcFaultProxy, startRpcFaultProxy } from '../support/rpc-fault-proxy';
import { startWorkerHarness, type WorkerHarness } from '../support/worker-harness';

const PRICE_ATOMIC = 10_000n;
/** The worker's RPC timeout: small, so a slow RPC costs the test about a second per call. */
const WORKER_RPC_TIMEOUT_MS = 500;
/** Four times the worker's RPC timeout: every answer arrives after the worker gave up. */
const SLOW_RPC_DELAY_MS = 4 * WORKER_RPC_TIMEOUT_MS;
const RECEIPT_TIMEOUT_MS = 2_000;
/** How long the API waits for the worker before answering `settlement_pending`. */
const SETTLE_WAIT_MS = 3_000;
/** The bound of every wait for a state, after which the test fails naming what it waited for. */
const WAIT_MS = 20_000;
/** How long the intermittent-fault scenario may take to confirm before the test fails. */
const INTERMITTENT_WAIT_MS = 40_000;
/** Share of the calls that get a 503 or garbage in the intermittent scenario. */
const INTERMITTENT_FAULT_RATE = 0.5;
/** How often the test runs the outbox sweep while it waits out intermittent faults. */
const SWEEP_EVERY_MS = 5_000;
const POLL_INTERVAL_MS = 50;
/** The fault schedule's seed: logged, and taken from RPC_FAULT_SEED to replay a run. */
const SEED = Number(process.env['RPC_FAULT_SEED'] ?? Math.floor(Math.random() * 2 ** 31));

const payer = privateKeyToAccount(generatePrivateKey());
const payee = privateKeyToAccount(generatePrivateKey()).address;

let proxy: RpcFaultProxy;
let api: ApiHarness;
let worker: WorkerHarness;
let prisma: PrismaService;
let facilitator: HTTPFacilitatorClient;
let directory: string;
let networksFile: string;
const figures: Record<string, string | number>[] = [];
/** Virtual minutes the sweep's clock is put ahead, one more per call so each gets fresh job ids. */
let sweepsRun = 0;

const network = () => `eip155:${inject('chainId')}`;
const token = () => getAddress(inject('tokenAddress'));
const publicClient = () => createPublicClient({ transport: viemHttp(inject('rpcUrl')) });
const nowSeconds = () => BigInt(Math.floor(Date.now() / 1_000));

interface Payment {
  readonly paymentPayload: PaymentPayload;
  readonly paymentRequirements: PaymentRequirements;
  readonly nonce: Hex;
}

/** The relayer's side of the database: transactions stored and the next nonce it would allocate. */
interface RelayerBook {
  readonly transactions: number;
  readonly nextNonce: bigint;
}

async function signPayment(): Promise<Payment> {
  const authorization = {
    from: payer.address,
    to: payee,
    value: String(PRICE_ATOMIC),
    validAfter: '0',
    validBefore: String(nowSeconds() + 600n),
    nonce: toHex(crypto.getRandomValues(new Uint8Array(32))),
  };
  const signature = await payer.signTypedData({
    domain: { name: 'USDC', version: '2', chainId: inject('chainId'), verifyingContract: token() },
    types: TRANSFER_WITH_AUTHORIZATION_TYPES,
    primaryType: 'TransferWithAuthorization',
    message: {
      ...authorization,
      value: PRICE_ATOMIC,
      validAfter: 0n,
      validBefore: BigInt(authorization.validBefore),
    },
  });
  const accepted = {
    scheme: 'exact',
    network: network(),
    amount: String(PRICE_ATOMIC),
    asset: token(),
    payTo: payee,
    maxTimeoutSeconds: 600,
    extra: { name: 'USDC', version: '2' },
  };
  return {
    paymentPayload: {
      x402Version: 2,
      resource: { url: 'https://api.example.com/paid', description: 'rpc fault test' },
      accepted,
      payload: { signature, authorization },
    } as unknown as PaymentPayload,
    paymentRequirements: accepted as unknown as PaymentRequirements,
    nonce: authorization.nonce,
  };
}

/** Starts a settle call; the answer comes after `SETTLE_WAIT_MS` at most. */
function startSettle(payment: Payment): Promise<SettleResponse> {
  const answer = facilitator.settle(payment.paymentPayload, payment.paymentRequirements);
  // Awaited later; marked handled so a test that fails first leaves no unhandled rejection.
  answer.catch(() => undefined);
  return answer;
}

async function settlementOf(nonce: Hex) {
  return prisma.settlement.findFirst({ where: { nonce: nonce.toLowerCase() } });
}

async function storedTransactionOf(nonce: Hex): Promise<RelayerTransaction> {
  const settlement = await settlementOf(nonce);
  if (settlement?.relayerTransactionId == null) throw new Error(`settlement of ${nonce} has no transaction`);
  return prisma.relayerTransaction.findUniqueOrThrow({ where: { id: settlement.relayerTransactionId } });
}

async function relayerBook(): Promise<RelayerBook> {
  const [transactions, nonceRow] = await Promise.all([
    prisma.relayerTransaction.count(),
    prisma.relayerNonce.findFirst(),
  ]);
  return { transactions, nextNonce: nonceRow?.nextNonce ?? 0n };
}

async function useLogsOf(nonce: Hex) {
  return publicClient().getContractEvents({
    address: token(),
    abi: eip3009Abi,
    eventName: 'AuthorizationUsed',
    args: { authorizer: payer.address, nonce },
    fromBlock: 0n,
  });
}

/** Polls `read` until `done` accepts its value; fails after `timeoutMs` naming `what`. */
async function eventually<Value>(
  what: string,
  read: () => Promise<Value>,
  done: (value: Value) => boolean,
  timeoutMs = WAIT_MS,
): Promise<Value> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) {
      const shown = JSON.stringify(value, (_key, item: unknown) =>
        typeof item === 'bigint' ? String(item) : item,
      );
      throw new Error(`${what}: not reached in ${timeoutMs} ms; last read ${shown}`);
    }
    await sleep(POLL_INTERVAL_MS);
  }
}

/** `promise`, or a failure naming `what` after `timeoutMs`. */
async function within<Value>(what: string, promise: Promise<Value>, timeoutMs = WAIT_MS): Promise<Value> {
  const timeout = new AbortController();
  try {
    return await Promise.race([
      promise,
      sleep(timeoutMs, undefined, { signal: timeout.signal }).then(() => {
        throw new Error(`${what}: not reached in ${timeoutMs} ms`);
      }),
    ]);
  } finally {
    timeout.abort();
  }
}

/** Records every status a settlement row goes through, read every `POLL_INTERVAL_MS`. */
function watchSettlement(nonce: Hex): { stop(): Promise<string[]> } {
  const seen: string[] = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      const status = (await settlementOf(nonce))?.status ?? 'absent';
      if (seen.at(-1) !== status) seen.push(status);
      await sleep(POLL_INTERVAL_MS);
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      // One last read, so a state reached since the last poll is on the record too.
      const status = (await settlementOf(nonce))?.status ?? 'absent';
      if (seen.at(-1) !== status) seen.push(status);
      return seen;
    },
  };
}

async function confirmedRow(nonce: Hex, timeoutMs = WAIT_MS) {
  return eventually(
    `settlement of ${nonce} confirmed`,
    () => settlementOf(nonce),
    (row) => row?.status === 'confirmed' || row?.status === 'failed',
    timeoutMs,
  );
}

/** Runs the outbox sweep on a clock a minute ahead, past every grace, as a later sweep would. */
async function sweepNow() {
  sweepsRun += 1;
  return worker.app.get(SettlementSweepProcessor).sweep(Date.now() + sweepsRun * 60_000);
}

/**
 * The settlement ended `confirmed` by its one stored transaction: one `AuthorizationUsed` log, in
 * that transaction; the stored bytes unchanged; one `settlement.confirmed` audit event and no
 * `settlement.failed`.
 */
async function expectConfirmedBy(nonce: Hex, stored: RelayerTransaction): Promise<void> {
  const row = await settlementOf(nonce);
  expect(row).toMatchObject({
    status: 'confirmed',
    relayerTransactionId: stored.id,
    transactionHash: stored.hash,
  });
  const logs = await useLogsOf(nonce);
  expect(logs).toHaveLength(1);
  expect(logs[0]?.transactionHash).toBe(stored.hash);
  const after = await prisma.relayerTransaction.findUniqueOrThrow({ where: { id: stored.id } });
  expect(after).toMatchObject({
    status: 'mined',
    rawTransaction: stored.rawTransaction,
    nonce: stored.nonce,
  });
  expect(keccak256(after.rawTransaction as Hex)).toBe(stored.hash);
  const events = await prisma.auditEvent.findMany({ where: { subjectId: row!.id } });
  expect(events.filter((event) => event.action === 'settlement.confirmed')).toHaveLength(1);
  expect(events.filter((event) => event.action === 'settlement.failed')).toHaveLength(0);
}

/**
 * Since `before`, the relayer stored exactly `stored` (one transaction and one nonce each), every
 * raw transaction the proxy forwarded since `sentFrom` is one of their stored bytes (a rebroadcast,
 * never a new transaction), and the chain took exactly the nonces PostgreSQL allocated.
 */
async function expectOnlyTransactions(params: {
  readonly before: RelayerBook;
  readonly sentFrom: number;
  readonly stored: readonly RelayerTransaction[];
}): Promise<void> {
  const { before, stored } = params;
  const book = await relayerBook();
  expect(book).toEqual({
    transactions: before.transactions + stored.length,
    nextNonce: before.nextNonce + BigInt(stored.length),
  });
  const forwarded = proxy.sentRawTransactions.slice(params.sentFrom);
  const storedRaw = stored.map((transaction) => transaction.rawTransaction);
  for (const raw of storedRaw) expect(forwarded).toContain(raw);
  for (const raw of forwarded) expect(storedRaw).toContain(raw);
  const relayer = await prisma.relayer.findFirstOrThrow();
  const chainNonce = await publicClient().getTransactionCount({ address: getAddress(relayer.address) });
  expect(BigInt(chainNonce)).toBe(book.nextNonce);
}

function expectPending(answer: SettleResponse, transaction: string): void {
  expect(answer).toMatchObject({
    success: false,
    errorReason: 'settlement_pending',
    transaction,
    network: network(),
    payer: payer.address,
  });
}

function record(figure: Record<string, string | number>): void {
  figures.push(figure);
  console.log('rpc fault figure', JSON.stringify(figure));
}

async function startWorker(): Promise<WorkerHarness> {
  return startWorkerHarness({
    databaseUrl: api.database.url,
    redisPrefix: api.config.redis.prefix,
    masterKeyBase64: api.masterKeyBase64,
    environment: {
      PROCO_NETWORKS_FILE: networksFile,
      PROCO_RPC_TIMEOUT_MS: String(WORKER_RPC_TIMEOUT_MS),
      PROCO_SETTLEMENT_RECEIPT_TIMEOUT_MS: String(RECEIPT_TIMEOUT_MS),
    },
  });
}

beforeAll(async () => {
  console.log('rpc fault seed', SEED, '(replay with RPC_FAULT_SEED)');
  proxy = await startRpcFaultProxy({ upstreamUrl: inject('rpcUrl') });
  directory = mkdtempSync(join(tmpdir(), 'proco-rpc-faults-'));
  // The run's networks file with the RPC behind the proxy: the worker's view of the chain.
  const networks = JSON.parse(readFileSync(inject('networksFile'), 'utf8')) as {
    networks: { rpcUrl: string }[];
  };
  for (const entry of networks.networks) entry.rpcUrl = proxy.url;
  networksFile = join(directory, 'networks.json');
  writeFileSync(networksFile, JSON.stringify(networks));
  api = await startApiHarness({ environment: { PROCO_SETTLE_WAIT_MS: String(SETTLE_WAIT_MS) } });
  worker = await startWorker();
  prisma = api.app.get(PrismaService);
  await api.app.listen(0, '127.0.0.1');
  const { port } = api.app.getHttpServer().address() as AddressInfo;
  const { adminKey } = await api.bootstrapOrg('RPC faults');
  const headers = { Authorization: `Bearer ${adminKey}` };
  facilitator = new HTTPFacilitatorClient({
    url: `http://127.0.0.1:${port}/facilitator`,
    createAuthHeaders: async () => ({ verify: headers, settle: headers, supported: headers }),
  });
  await mintTestTokens({
    rpcUrl: inject('rpcUrl'),
    tokenAddress: token(),
    to: payer.address,
    amountAtomic: 100n * PRICE_ATOMIC,
  });
});

afterEach(async () => {
  await proxy?.setFault({ kind: 'pass' });
});

afterAll(async () => {
  if (figures.length > 0) console.table(figures);
  await worker?.close();
  await api?.close();
  await proxy?.stop();
  if (directory !== undefined) rmSync(directory, { recursive: true, force: true });
});

describe('settlement with the worker RPC behind a fault proxy', () => {
  it('settles through a healthy proxy in one transaction', async () => {
    const before = await relayerBook();
    const sentFrom = proxy.sentRawTransactions.length;
    const payment = await signPayment();
    const startedMs = Date.now();
    const answer = await startSettle(payment);
    expect(answer).toMatchObject({ success: true, network: network(), payer: payer.address });
    const stored = await storedTransactionOf(payment.nonce);
    expect(answer.transaction).toBe(stored.hash);
    await expectConfirmedBy(payment.nonce, stored);
    await expectOnlyTransactions({ before, sentFrom, stored: [stored] });
    record({ scenario: 'baseline', settleAnswerMs: Date.now() - startedMs });
  });

  it('answers pending and keeps the rows unknown while the RPC is gone after the broadcast, then confirms the same transaction', async () => {
    const before = await relayerBook();
    const sentFrom = proxy.sentRawTransactions.length;
    const payment = await signPayment();
    const broadcast = proxy.faultFromNextSend({ kind: 'refuse' });
    const watcher = watchSettlement(payment.nonce);
    const startedMs = Date.now();
    const answer = startSettle(payment);

    const raw = await within('the stored transaction reaches the chain', broadcast);
    const stored = await storedTransactionOf(payment.nonce);
    expect(raw).toBe(stored.rawTransaction);
    const unknown = await eventually(
      'settlement unknown while the RPC refuses',
      () => settlementOf(payment.nonce),
      (row) => row?.status !== 'broadcast',
    );
    expect(unknown?.status).toBe('unknown');
    const unknownAfterMs = Date.now() - startedMs;
    expectPending(await within('the settle answer', answer), stored.hash);
    // The chain took the transaction before its answer was lost; nothing the worker can read says so.
    expect(await useLogsOf(payment.nonce)).toHaveLength(1);
    expect((await settlementOf(payment.nonce))?.status).toBe('unknown');

    const restoredMs = Date.now();
    await proxy.setFault({ kind: 'pass' });
    const resolved = await confirmedRow(payment.nonce);
    const resolvedAfterMs = Date.now() - restoredMs;
    const statuses = await watcher.stop();
    expect(resolved?.status).toBe('confirmed');
    expect(statuses).toContain('unknown');
    expect(statuses).not.toContain('failed');
    await expectConfirmedBy(payment.nonce, stored);
    await expectOnlyTransactions({ before, sentFrom, stored: [stored] });
    record({
      scenario: 'refused after broadcast',
      unknownAfterMs,
      downForMs: restoredMs - startedMs,
      confirmedAfterRestoreMs: resolvedAfterMs,
      statuses: statuses.join('>'),
      broadcasts: proxy.sentRawTransactions.length - sentFrom,
      // What the row says: broadcasts are counted before sending, so a lost answer still counts.
      recordedBroadcasts: (await prisma.relayerTransaction.findUniqueOrThrow({ where: { id: stored.id } }))
        .broadcastCount,
    });
  });

  it('never sends a second transaction when the RPC says "nonce too low" but its reads lag behind', async () => {
    const before = await relayerBook();
    const sentFrom = proxy.sentRawTransactions.length;
    const head = await publicClient().getBlockNumber({ cacheTime: 0 });
    const payment = await signPayment();
    const broadcast = proxy.faultFromNextSend({ kind: 'lagging', atBlock: head });
    const watcher = watchSettlement(payment.nonce);
    const answer = startSettle(payment);
    await within('the stored transaction reaches the chain', broadcast);
    const stored = await storedTransactionOf(payment.nonce);
    expectPending(await within('the settle answer', answer), stored.hash);
    // While reads lag, every confirm attempt (and a sweep's) sees "nonce too low" on resending and
    // no receipt: not proof of a replacement, so nothing new is signed.
    await sweepNow();
    await new Promise((resolve) => setTimeout(resolve, 2 * RECEIPT_TIMEOUT_MS));
    expect(await prisma.relayerTransaction.count({ where: { nonce: { gt: stored.nonce } } })).toBe(0);
    expect((await prisma.relayerTransaction.findUniqueOrThrow({ where: { id: stored.id } })).status).toBe(
      'pending',
    );

    await proxy.setFault({ kind: 'pass' });
    await sweepNow();
    await confirmedRow(payment.nonce);
    const statuses = await watcher.stop();
    expect(statuses).not.toContain('failed');
    // Never sent back to the queue for a new transaction once it had one.
    expect(statuses.slice(statuses.indexOf('broadcast'))).not.toContain('queued');
    await expectConfirmedBy(payment.nonce, stored);
    await expectOnlyTransactions({ before, sentFrom, stored: [stored] });
    record({ scenario: 'lagging reads after broadcast', statuses: statuses.join('>') });
  });

  it('resumes through the outbox sweep when the confirm job is gone (as after its last attempt)', async () => {
    const before = await relayerBook();
    const sentFrom = proxy.sentRawTransactions.length;
    const payment = await signPayment();
    const broadcast = proxy.faultFromNextSend({ kind: 'refuse' });
    const watcher = watchSettlement(payment.nonce);
    const answer = startSettle(payment);
    await within('the stored transaction reaches the chain', broadcast);
    const stored = await storedTransactionOf(payment.nonce);
    await eventually(
      'settlement unknown while the RPC refuses',
      () => settlementOf(payment.nonce),
      (row) => row?.status === 'unknown',
    );

    expectPending(await within('the settle answer', answer), stored.hash);

    // Take the confirm job out of Redis, as exhausted attempts or a lost Redis would: from now on
    // only PostgreSQL remembers that this transaction needs confirming.
    const queue = worker.app.get<Queue>(getQueueToken(SETTLEMENT_QUEUE), { strict: false });
    const jobId = settlementConfirmJobId(stored.id);
    await eventually(
      'the confirm job removed',
      async () => {
        const job = await queue.getJob(jobId);
        if (job === undefined) return true;
        // An attempt in progress holds the job's lock; it fails within the RPC timeout.
        return job.remove().then(
          () => true,
          () => false,
        );
      },
      (removed) => removed,
    );
    await proxy.setFault({ kind: 'pass' });
    const restoredMs = Date.now();
    // With no job left, the RPC being back changes nothing by itself.
    await sleep(1_500);
    expect((await settlementOf(payment.nonce))?.status).toBe('unknown');
    expect(await queue.getJob(jobId)).toBeUndefined();

    const swept = await sweepNow();
    expect(swept.confirmJobs).toBeGreaterThanOrEqual(1);
    const sweptMs = Date.now();
    const resolved = await confirmedRow(payment.nonce);
    const statuses = await watcher.stop();
    expect(resolved?.status).toBe('confirmed');
    expect(statuses).not.toContain('failed');
    await expectConfirmedBy(payment.nonce, stored);
    await expectOnlyTransactions({ before, sentFrom, stored: [stored] });
    record({
      scenario: 'confirm job lost, swept',
      idleAfterRestoreMs: sweptMs - restoredMs,
      confirmedAfterSweepMs: Date.now() - sweptMs,
      statuses: statuses.join('>'),
    });
  });

  it('keeps a settlement pending and unknown while every answer comes after the RPC timeout, then confirms it', async () => {
    const before = await relayerBook();
    const sentFrom = proxy.sentRawTransactions.length;
    const payment = await signPayment();
    const broadcast = proxy.faultFromNextSend({ kind: 'delay', delayMs: SLOW_RPC_DELAY_MS });
    const watcher = watchSettlement(payment.nonce);
    const startedMs = Date.now();
    const answer = startSettle(payment);
    await within('the stored transaction reaches the chain', broadcast);
    const stored = await storedTransactionOf(payment.nonce);
    await eventually(
      'settlement unknown while the RPC is slow',
      () => settlementOf(payment.nonce),
      (row) => row?.status !== 'broadcast',
    );
    const unknownAfterMs = Date.now() - startedMs;
    expect((await settlementOf(payment.nonce))?.status).toBe('unknown');
    expectPending(await within('the settle answer', answer), stored.hash);
    expect((await settlementOf(payment.nonce))?.status).toBe('unknown');
    const lateAnswers = proxy.calls.filter((call) => call.fault === 'delay' && call.atMs >= startedMs).length;
    expect(lateAnswers).toBeGreaterThanOrEqual(2);

    const restoredMs = Date.now();
    await proxy.setFault({ kind: 'pass' });
    const resolved = await confirmedRow(payment.nonce);
    const resolvedAfterMs = Date.now() - restoredMs;
    const statuses = await watcher.stop();
    expect(resolved?.status).toBe('confirmed');
    expect(statuses).not.toContain('failed');
    await expectConfirmedBy(payment.nonce, stored);
    await expectOnlyTransactions({ before, sentFrom, stored: [stored] });
    record({
      scenario: `slow (+${SLOW_RPC_DELAY_MS} ms, timeout ${WORKER_RPC_TIMEOUT_MS} ms)`,
      unknownAfterMs,
      lateAnswers,
      confirmedAfterRestoreMs: resolvedAfterMs,
      statuses: statuses.join('>'),
    });
  });

  it('signs and sends nothing while the RPC serves another chain id, and settles once it serves the right one', async () => {
    const wrongChainId = inject('chainId') + 1;
    await proxy.setFault({ kind: 'wrong-chain-id', chainId: wrongChainId });
    // A worker starting on the misrouted RPC: its first look at the network is the check.
    await worker.close();
    worker = await startWorker();
    const before = await relayerBook();
    const sentFrom = proxy.sentRawTransactions.length;
    const callsFrom = proxy.calls.length;
    const payment = await signPayment();
    const watcher = watchSettlement(payment.nonce);
    const startedMs = Date.now();

    expectPending(await within('the settle answer', startSettle(payment)), '');
    // The submit job was refused and retried at least once, each time at the chain id check.
    await eventually(
      'a retried chain id check',
      async () => proxy.calls.slice(callsFrom).filter((call) => call.method === 'eth_chainId').length,
      (checks) => checks >= 2,
    );
    const lyingCalls = proxy.calls.slice(callsFrom);
    expect(new Set(lyingCalls.map((call) => call.method))).toEqual(new Set(['eth_chainId']));
    expect(proxy.sentRawTransactions.length).toBe(sentFrom);
    expect(await settlementOf(payment.nonce)).toMatchObject({ status: 'queued', relayerTransactionId: null });
    expect(await relayerBook()).toEqual(before);

    const restoredMs = Date.now();
    await proxy.setFault({ kind: 'pass' });
    const resolved = await confirmedRow(payment.nonce);
    const resolvedAfterMs = Date.now() - restoredMs;
    const statuses = await watcher.stop();
    expect(resolved?.status).toBe('confirmed');
    expect(statuses).not.toContain('failed');
    const stored = await storedTransactionOf(payment.nonce);
    await expectConfirmedBy(payment.nonce, stored);
    await expectOnlyTransactions({ before, sentFrom, stored: [stored] });
    record({
      scenario: `wrong chain id (${wrongChainId})`,
      refusedChecks: lyingCalls.length,
      lyingForMs: restoredMs - startedMs,
      confirmedAfterRestoreMs: resolvedAfterMs,
      statuses: statuses.join('>'),
    });
  });

  it('never fails a settlement on garbage answers or intermittent 5xx, and confirms each once', async () => {
    const before = await relayerBook();
    const sentFrom = proxy.sentRawTransactions.length;
    const garbled = await signPayment();
    const broadcast = proxy.faultFromNextSend({ kind: 'garbage' });
    const garbledWatcher = watchSettlement(garbled.nonce);
    const startedMs = Date.now();
    const garbledAnswer = startSettle(garbled);
    await within('the stored transaction reaches the chain', broadcast);
    const garbledStored = await storedTransactionOf(garbled.nonce);
    await eventually(
      'settlement unknown on garbage answers',
      () => settlementOf(garbled.nonce),
      (row) => row?.status === 'unknown',
    );
    const unknownAfterMs = Date.now() - startedMs;
    expectPending(await within('the settle answer', garbledAnswer), garbledStored.hash);

    // Now half the calls fail, with a 503 or garbage, while a second payment is settled too.
    const intermittent: RpcFault = {
      kind: 'intermittent',
      rate: INTERMITTENT_FAULT_RATE,
      seed: SEED,
      faults: [{ kind: 'server-error', status: 503 }, { kind: 'garbage' }],
    };
    await proxy.setFault(intermittent);
    const flakyFromMs = Date.now();
    const callsFrom = proxy.calls.length;
    const flaky = await signPayment();
    const flakyWatcher = watchSettlement(flaky.nonce);
    const flakyAnswer = await within('the settle answer', startSettle(flaky));
    expect(flakyAnswer.success || flakyAnswer.errorReason === 'settlement_pending').toBe(true);

    // A job that spends its attempts on faults leaves its work to the outbox sweep; it runs here every
    // few seconds on a clock past its grace, instead of every 10 s with a 30 s grace.
    let sweeps = 0;
    const deadline = Date.now() + INTERMITTENT_WAIT_MS;
    let lastSweepMs = Date.now();
    for (;;) {
      const rows = await Promise.all([settlementOf(garbled.nonce), settlementOf(flaky.nonce)]);
      if (rows.every((row) => row?.status === 'confirmed' || row?.status === 'failed')) break;
      if (Date.now() > deadline) {
        throw new Error(
          `intermittent faults: not settled in ${INTERMITTENT_WAIT_MS} ms (seed ${SEED}); statuses ${rows.map((row) => row?.status).join(', ')}`,
        );
      }
      if (Date.now() - lastSweepMs >= SWEEP_EVERY_MS) {
        await sweepNow();
        sweeps += 1;
        lastSweepMs = Date.now();
      }
      await sleep(POLL_INTERVAL_MS);
    }
    const settledUnderFaultsMs = Date.now() - flakyFromMs;
    const flakyCalls = proxy.calls.slice(callsFrom);
    await proxy.setFault({ kind: 'pass' });
    const garbledStatuses = await garbledWatcher.stop();
    const flakyStatuses = await flakyWatcher.stop();
    expect(garbledStatuses).toContain('unknown');
    expect(garbledStatuses).not.toContain('failed');
    expect(flakyStatuses).not.toContain('failed');
    const faultCounts = {
      serverErrors: flakyCalls.filter((call) => call.fault === 'server-error').length,
      garbage: flakyCalls.filter((call) => call.fault === 'garbage').length,
      passed: flakyCalls.filter((call) => call.fault === 'pass').length,
    };
    expect(faultCounts.serverErrors).toBeGreaterThan(0);
    expect(faultCounts.garbage).toBeGreaterThan(0);

    const flakyStored = await storedTransactionOf(flaky.nonce);
    await expectConfirmedBy(garbled.nonce, garbledStored);
    await expectConfirmedBy(flaky.nonce, flakyStored);
    await expectOnlyTransactions({ before, sentFrom, stored: [garbledStored, flakyStored] });
    record({
      scenario: `garbage, then ${INTERMITTENT_FAULT_RATE * 100}% 503/garbage (seed ${SEED})`,
      unknownAfterMs,
      settledUnderFaultsMs,
      flakyAnswer: flakyAnswer.success ? 'success' : (flakyAnswer.errorReason ?? ''),
      ...faultCounts,
      sweeps,
      garbledStatuses: garbledStatuses.join('>'),
      flakyStatuses: flakyStatuses.join('>'),
    });
  });
});
