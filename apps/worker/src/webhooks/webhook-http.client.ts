import { request as httpRequest, type IncomingMessage, type RequestOptions } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { type LookupAddress, type LookupOptions } from 'node:dns';
import { type ResolvedAddress } from '@proco/webhooks';

/** Response bytes read (and thrown away) before the connection is closed: receivers answer with little. */
export const WEBHOOK_RESPONSE_BYTES_MAX = 64 * 1_024;
/** The longest error text kept for an attempt (the column is VARCHAR(500)). */
export const WEBHOOK_ERROR_LENGTH_MAX = 500;

export interface SendWebhookParams {
  readonly url: URL;
  /** The checked address to connect to; the host name is never resolved again. */
  readonly address: ResolvedAddress;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
  /** The whole exchange, from connecting to the end of the response headers. */
  readonly timeoutMs: number;
}

export type SendWebhookResult =
  | { readonly kind: 'response'; readonly statusCode: number }
  | { readonly kind: 'error'; readonly error: string };

type LookupCallback = (
  error: NodeJS.ErrnoException | null,
  address: string | LookupAddress[],
  family?: number,
) => void;

/**
 * POSTs one webhook body to `url`, connecting to `address` only: the socket's lookup answers with
 * that address, so the connection goes where the SSRF check looked, while the Host header and TLS
 * (SNI and certificate check) still use the URL's host name. Redirects are not followed (a 3xx is
 * an answer like any other non-2xx). Never throws: a failure is an `error` result.
 */
export function sendWebhook(params: SendWebhookParams): Promise<SendWebhookResult> {
  const pinnedLookup = (_hostname: string, options: LookupOptions, callback: LookupCallback): void => {
    // With `all` (Node's happy-eyeballs connect asks for it) the answer is a list.
    if (options.all === true)
      callback(null, [{ address: params.address.address, family: params.address.family }]);
    else callback(null, params.address.address, params.address.family);
  };
  const options: RequestOptions = {
    method: 'POST',
    hostname: params.url.hostname.replace(/^\[|\]$/g, ''),
    port: params.url.port === '' ? undefined : Number(params.url.port),
    path: `${params.url.pathname}${params.url.search}`,
    headers: { ...params.headers, 'Content-Length': String(Buffer.byteLength(params.body)) },
    lookup: pinnedLookup,
    agent: false,
    signal: AbortSignal.timeout(params.timeoutMs),
  };
  const send = params.url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise<SendWebhookResult>((resolve) => {
    let settled = false;
    const finish = (result: SendWebhookResult): void => {
      if (settled) return;
      settled = true;
      resolve(result);
    };
    const request = send(options, (response: IncomingMessage) => {
      const statusCode = response.statusCode ?? 0;
      let received = 0;
      response.on('data', (chunk: Buffer) => {
        received += chunk.length;
        if (received > WEBHOOK_RESPONSE_BYTES_MAX) response.destroy();
      });
      // The status is the answer; the body only has to be drained (or cut short) to free the socket.
      response.on('end', () => finish({ kind: 'response', statusCode }));
      response.on('close', () => finish({ kind: 'response', statusCode }));
      response.on('error', () => finish({ kind: 'response', statusCode }));
    });
    request.on('error', (error: Error) =>
      finish({ kind: 'error', error: describeError(error, params.timeoutMs) }),
    );
    request.end(params.body);
  });
}

/** A short, storable description of a failed exchange (no URL, which may carry a token). */
export function describeError(error: unknown, timeoutMs?: number): string {
  if (error instanceof Error && (error.name === 'AbortError' || error.name === 'TimeoutError')) {
    return timeoutMs === undefined ? 'timeout' : `timeout: no answer within ${timeoutMs} ms`;
  }
  const code =
    error instanceof Error && 'code' in error && typeof error.code === 'string' ? error.code : null;
  const message = error instanceof Error ? error.message : String(error);
  const text = code === null || message.includes(code) ? message : `${code}: ${message}`;
  // Text columns cannot hold NUL; URLs are reduced to their origin.
  return text
    .replaceAll('\u0000', '')
    .replace(/\b([a-z][a-z0-9+.-]*:\/\/[^/\s"']+)[^\s"']*/gi, '$1')
    .slice(0, WEBHOOK_ERROR_LENGTH_MAX);
}
