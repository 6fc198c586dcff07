// An HTTP JSON-RPC proxy in front of the run's anvil chain: it records every call and can be
// stopped, so a suite can boot against a healthy RPC and then watch how the API copes without it.
import { createServer, type IncomingMessage } from 'node:http';
import { type AddressInfo } from 'node:net';

/** Time the proxy waits for anvil before answering 502 itself. */
const UPSTREAM_TIMEOUT_MS = 10_000;

export interface RecordedRpcCall {
  readonly method: string;
  readonly params: readonly unknown[];
}

export interface RpcProxy {
  /** `http://127.0.0.1:<port>`; any path is forwarded to the upstream root. */
  readonly url: string;
  /** Every JSON-RPC call forwarded so far, batches flattened, oldest first. */
  readonly calls: RecordedRpcCall[];
  /** Closes the listener and every open connection; later requests are refused. */
  stop(): Promise<void>;
}

export async function startRpcProxy(params: { upstreamUrl: string }): Promise<RpcProxy> {
  const calls: RecordedRpcCall[] = [];
  const server = createServer((request, response) => {
    readBody(request)
      .then(async (body) => {
        record(calls, body);
        const upstream = await fetch(params.upstreamUrl, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body,
          signal: AbortSignal.timeout(UPSTREAM_TIMEOUT_MS),
        });
        response.writeHead(upstream.status, { 'content-type': 'application/json' });
        response.end(await upstream.text());
      })
      .catch(() => {
        response.writeHead(502).end();
      });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    calls,
    async stop() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    },
  };
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function record(calls: RecordedRpcCall[], body: string): void {
  const parsed: unknown = JSON.parse(body);
  for (const call of Array.isArray(parsed) ? parsed : [parsed]) {
    const { method, params } = call as { method: string; params?: unknown[] };
    calls.push({ method, params: params ?? [] });
  }
}
