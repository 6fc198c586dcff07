// A JSON-RPC fault proxy in front of the run's anvil chain, for the RPC failure classes of the
// reliability plan (T7): it passes calls through, refuses connections, answers late, answers
// garbage or a 5xx, lies about the chain id, reads from behind the head as a lagging node does, or
// faults a seeded share of the calls. A fault can also be armed to start on the answer of the next
// raw transaction, so a suite can lose the answer of a broadcast that the chain did receive.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { type AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

/** Time the proxy waits for anvil before answering 502 itself. */
const UPSTREAM_TIMEOUT_MS = 10_000;
/** What a `garbage` answer carries: JSON cut off mid-object, served as JSON. */
const GARBAGE_BODY = '{"jsonrpc":"2.0","id":1,"result":{"blockHash":"0x4f';

/** A fault of a call that reaches the proxy; each one forwards the call before it answers. */
export type AnsweringFault =
  | { readonly kind: 'pass' }
  /** Answered `delayMs` late (the caller may have given up by then). */
  | { readonly kind: 'delay'; readonly delayMs: number }
  /** Answered 200 with truncated JSON. */
  | { readonly kind: 'garbage' }
  /** Answered with this HTTP status and a plain-text body, as a failing gateway does. */
  | { readonly kind: 'server-error'; readonly status: number }
  /** `eth_chainId` answered with `chainId`; every other call answered as upstream did. */
  | { readonly kind: 'wrong-chain-id'; readonly chainId: number }
  /**
   * Reads answered as of block `atBlock`, as a load balancer's lagging node answers them, while raw
   * transactions still reach the head: `eth_blockNumber` says `atBlock`, `eth_call` and
   * `eth_estimateGas` run on that block, and a receipt from a later block is `null`.
   */
  | { readonly kind: 'lagging'; readonly atBlock: bigint };

/**
 * How the proxy treats calls. Every fault but `refuse` forwards the call first, so a raw
 * transaction reaches the chain whatever its sender is told: the case a sender cannot tell apart.
 */
export type RpcFault =
  | AnsweringFault
  /** The listener is closed (new connections are refused) and open connections are cut. */
  | { readonly kind: 'refuse' }
  /**
   * Each call is faulted with probability `rate` (seeded, so a run can be replayed), the faulted
   * calls taking `faults` in turn so every one of them is exercised.
   */
  | {
      readonly kind: 'intermittent';
      readonly rate: number;
      readonly seed: number;
      readonly faults: readonly AnsweringFault[];
    };

/** One call the proxy received, batches flattened, and what it did with it. */
export interface FaultProxyCall {
  readonly method: string;
  /** The fault applied to its answer, or `drop` when its connection was cut without an answer. */
  readonly fault: AnsweringFault['kind'] | 'drop';
  readonly atMs: number;
}

export interface RpcFaultProxy {
  /** `http://127.0.0.1:<port>`; the port is kept while connections are refused. */
  readonly url: string;
  /** Every call received so far, oldest first. */
  readonly calls: readonly FaultProxyCall[];
  /** Every raw transaction forwarded to the chain (including rebroadcasts), oldest first. */
  readonly sentRawTransactions: readonly string[];
  /** The fault in force. */
  readonly fault: RpcFault;
  /** Applies `fault` to every call from now on (re-opening the listener after `refuse`). */
  setFault(fault: RpcFault): Promise<void>;
  /**
   * Arms `fault` to start with the answer of the next `eth_sendRawTransaction`: that transaction
   * reaches the chain, then its answer already gets `fault` (cut, for `refuse`). Resolves with the
   * raw transaction once it was forwarded and the fault is in force.
   */
  faultFromNextSend(fault: RpcFault): Promise<string>;
  /** Closes the listener and every open connection; pending late answers are dropped. */
  stop(): Promise<void>;
}

interface JsonRpcCall {
  readonly id?: unknown;
  readonly method: string;
  readonly params?: readonly unknown[];
}

interface ArmedFault {
  readonly fault: RpcFault;
  readonly resolve: (rawTransaction: string) => void;
}

export async function startRpcFaultProxy(params: { upstreamUrl: string }): Promise<RpcFaultProxy> {
  const calls: FaultProxyCall[] = [];
  const sentRawTransactions: string[] = [];
  const stopping = new AbortController();
  let fault: RpcFault = { kind: 'pass' };
  let armed: ArmedFault | undefined;
  let random = seededRandom(0);
  let faulted = 0;

  const server = createServer((request, response) => {
    handle(request, response).catch(() => {
      if (!response.headersSent) response.writeHead(502).end();
      else response.destroy();
    });
  });
  await listen(0);
  const { port } = server.address() as AddressInfo;
  let listening = true;
  // Switches are serialized so a close and a re-listen never interleave.
  let switching: Promise<void> = Promise.resolve();

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const body = await readBody(request);
    const batch = parseCalls(body);
    const atMs = Date.now();
    // A call that slipped in while the listener was closing is cut, as a refused one would be.
    if (fault.kind === 'refuse') {
      for (const call of batch) calls.push({ method: call.method, fault: 'drop', atMs });
      request.socket.destroy();
      return;
    }
    const upstream = await forward(fault.kind === 'lagging' ? laggingBody(body, fault.atBlock) : body);
    for (const call of batch) {
      if (call.method === 'eth_sendRawTransaction' && typeof call.params?.[0] === 'string')
        sentRawTransactions.push(call.params[0]);
    }
    const trigger =
      armed !== undefined ? batch.find((call) => call.method === 'eth_sendRawTransaction') : undefined;
    if (trigger !== undefined && armed !== undefined) {
      const { fault: next, resolve } = armed;
      armed = undefined;
      await switchTo(next);
      resolve(String(trigger.params?.[0]));
    }
    const applied = answeringFaultOf(fault);
    for (const call of batch) calls.push({ method: call.method, fault: applied?.kind ?? 'drop', atMs });
    if (applied === undefined) {
      request.socket.destroy();
      return;
    }
    await answer(response, applied, batch, upstream);
  }

  function answeringFaultOf(current: RpcFault): AnsweringFault | undefined {
    if (current.kind === 'refuse') return undefined;
    if (current.kind !== 'intermittent') return current;
    if (random() >= current.rate) return { kind: 'pass' };
    faulted += 1;
    return current.faults[faulted % current.faults.length] ?? { kind: 'pass' };
  }

  async function answer(
    response: ServerResponse,
    applied: AnsweringFault,
    batch: readonly JsonRpcCall[],
    upstream: { status: number; text: string },
  ): Promise<void> {
    switch (applied.kind) {
      case 'pass':
        sendJson(response, upstream.status, upstream.text);
        return;
      case 'delay':
        try {
          await sleep(applied.delayMs, undefined, { signal: stopping.signal });
        } catch {
          return;
        }
        if (!response.destroyed) sendJson(response, upstream.status, upstream.text);
        return;
      case 'garbage':
        sendJson(response, 200, GARBAGE_BODY);
        return;
      case 'server-error':
        response.writeHead(applied.status, { 'content-type': 'text/plain' }).end('upstream unavailable');
        return;
      case 'wrong-chain-id':
        sendJson(
          response,
          upstream.status,
          withResult(batch, upstream.text, 'eth_chainId', `0x${applied.chainId.toString(16)}`),
        );
        return;
      case 'lagging':
        sendJson(response, upstream.status, laggingAnswer(batch, upstream.text, applied.atBlock));
        return;
    }
  }

  async function forward(body: string): Promise<{ status: number; text: string }> {
    const upstream = await fetch(params.upstreamUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
      signal: AbortSignal.any([AbortSignal.timeout(UPSTREAM_TIMEOUT_MS), stopping.signal]),
    });
    return { status: upstream.status, text: await upstream.text() };
  }

  function listen(onPort: number): Promise<void> {
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(onPort, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
  }

  function close(): Promise<void> {
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeAllConnections();
    return closed;
  }

  function switchTo(next: RpcFault): Promise<void> {
    switching = switching.then(async () => {
      fault = next;
      if (next.kind === 'intermittent') {
        random = seededRandom(next.seed);
        faulted = -1;
      }
      if (next.kind === 'refuse' && listening) {
        listening = false;
        await close();
      } else if (next.kind !== 'refuse' && !listening) {
        // The same port again: the worker's networks file names it.
        await listen(port);
        listening = true;
      }
    });
    return switching;
  }

  return {
    url: `http://127.0.0.1:${port}`,
    calls,
    sentRawTransactions,
    get fault() {
      return fault;
    },
    setFault: switchTo,
    faultFromNextSend(next) {
      if (armed !== undefined) throw new Error('A fault is already armed for the next raw transaction.');
      return new Promise<string>((resolve) => {
        armed = { fault: next, resolve };
      });
    },
    async stop() {
      armed = undefined;
      stopping.abort();
      await switching;
      if (listening) {
        listening = false;
        await close();
      }
    },
  };
}

function sendJson(response: ServerResponse, status: number, text: string): void {
  response.writeHead(status, { 'content-type': 'application/json' }).end(text);
}

// Pins the state reads of a call (or batch) to `atBlock`; anything else goes upstream as it came.
function laggingBody(body: string, atBlock: bigint): string {
  const block = `0x${atBlock.toString(16)}`;
  const pin = (call: JsonRpcCall): JsonRpcCall =>
    call.method === 'eth_call' ||
    call.method === 'eth_estimateGas' ||
    call.method === 'eth_getTransactionCount' ||
    call.method === 'eth_getBalance' ||
    call.method === 'eth_getCode'
      ? { ...call, params: [call.params?.[0], block] }
      : call;
  const parsed = JSON.parse(body) as JsonRpcCall | JsonRpcCall[];
  return JSON.stringify(Array.isArray(parsed) ? parsed.map(pin) : pin(parsed));
}

// The head is `atBlock`, and a receipt from a later block does not exist yet.
function laggingAnswer(batch: readonly JsonRpcCall[], text: string, atBlock: bigint): string {
  const methods = new Map(batch.map((call) => [call.id, call.method]));
  const parsed: unknown = JSON.parse(text);
  const rewrite = (item: unknown): unknown => {
    if (typeof item !== 'object' || item === null) return item;
    const { id, result } = item as { id?: unknown; result?: unknown };
    const method = methods.get(id);
    if (method === 'eth_blockNumber') return { ...item, result: `0x${atBlock.toString(16)}` };
    if (method !== 'eth_getTransactionReceipt' || typeof result !== 'object' || result === null) return item;
    const { blockNumber } = result as { blockNumber?: unknown };
    return typeof blockNumber === 'string' && BigInt(blockNumber) > atBlock
      ? { ...item, result: null }
      : item;
  };
  return JSON.stringify(Array.isArray(parsed) ? parsed.map(rewrite) : rewrite(parsed));
}

// Replaces the `result` of every `method` call in an upstream answer (single or batch).
function withResult(batch: readonly JsonRpcCall[], text: string, method: string, result: unknown): string {
  const rewritten = new Set(batch.filter((call) => call.method === method).map((call) => call.id));
  if (rewritten.size === 0) return text;
  const parsed: unknown = JSON.parse(text);
  const rewrite = (item: unknown): unknown =>
    typeof item === 'object' && item !== null && rewritten.has((item as { id?: unknown }).id)
      ? { ...item, result }
      : item;
  return JSON.stringify(Array.isArray(parsed) ? parsed.map(rewrite) : rewrite(parsed));
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function parseCalls(body: string): JsonRpcCall[] {
  const parsed: unknown = JSON.parse(body);
  return (Array.isArray(parsed) ? parsed : [parsed]) as JsonRpcCall[];
}

/** mulberry32: a small seeded generator of numbers in [0, 1), so a fault schedule can be replayed. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let mixed = state;
    mixed = Math.imul(mixed ^ (mixed >>> 15), mixed | 1);
    mixed ^= mixed + Math.imul(mixed ^ (mixed >>> 7), mixed | 61);
    return ((mixed ^ (mixed >>> 14)) >>> 0) / 4_294_967_296;
  };
}
