/**
 * What a failure of PostgreSQL, the Prisma client or Redis says about the request: the input could
 * not be stored (`client_input`, a 400), or a dependency is down or saturated (`unavailable`, a
 * 503). `undefined` means neither is known, and the error stays a 500.
 */
export type InfrastructureErrorClass = 'client_input' | 'unavailable';

/** Errors and causes inspected per classification; chains are short, cycles are possible. */
export const CLASSIFY_NODES_MAX = 10;

// Prisma error codes (https://www.prisma.io/docs/orm/reference/error-reference).
const PRISMA_CODES: Readonly<Record<string, InfrastructureErrorClass>> = {
  P2000: 'client_input', // the value is too long for the column
  P1001: 'unavailable', // cannot reach the database server
  P1002: 'unavailable', // the database server timed out
  P2024: 'unavailable', // timed out waiting for a pooled connection
  P2028: 'unavailable', // transaction API error (the transaction expired or was closed)
};

// PostgreSQL SQLSTATEs, as the pg driver adapter reports them in `originalCode`.
const POSTGRES_CODES: Readonly<Record<string, InfrastructureErrorClass>> = {
  '22001': 'client_input', // string_data_right_truncation
  '22021': 'client_input', // character_not_in_repertoire (NUL in text)
  '22P05': 'client_input', // untranslatable_character (\u0000 in JSON)
  '57P01': 'unavailable', // admin_shutdown
  '57P02': 'unavailable', // crash_shutdown
  '57P03': 'unavailable', // cannot_connect_now
  '53300': 'unavailable', // too_many_connections
};

// `kind` of a Prisma driver adapter error, for failures the adapter names rather than passes on.
const DRIVER_ADAPTER_KINDS: Readonly<Record<string, InfrastructureErrorClass>> = {
  LengthMismatch: 'client_input',
  DatabaseNotReachable: 'unavailable',
  ConnectionClosed: 'unavailable',
  SocketTimeout: 'unavailable',
  TooManyConnections: 'unavailable',
};

// Node socket errors, e.g. from the pg pool or ioredis before any adapter wraps them.
const SOCKET_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EHOSTUNREACH',
  'ENOTFOUND',
  'ETIMEDOUT',
]);

// pg-pool and ioredis throw plain `Error`s for these, so the message is the only signal; the spec
// pins each one against the installed library versions.
const UNAVAILABLE_MESSAGES: ReadonlySet<string> = new Set([
  'timeout exceeded when trying to connect', // pg-pool: no pooled connection in time
  'Connection terminated unexpectedly', // pg: the server closed the socket
  'Connection is closed.', // ioredis
  "Stream isn't writeable and enableOfflineQueue options is false", // ioredis, while reconnecting
  'Command timed out', // ioredis `commandTimeout`
]);
const UNAVAILABLE_ERROR_NAMES: ReadonlySet<string> = new Set(['MaxRetriesPerRequestError']);

/**
 * Classifies an error thrown by the persistence layer by walking it, its `cause` chain and a Prisma
 * error's `meta.driverAdapterError`. The first node that says something decides.
 */
export function classifyInfrastructureError(error: unknown): InfrastructureErrorClass | undefined {
  const pending: object[] = isObject(error) ? [error] : [];
  const seen = new Set<object>();
  for (let visited = 0; visited < CLASSIFY_NODES_MAX; visited += 1) {
    const node = pending.shift();
    if (node === undefined) return undefined;
    if (seen.has(node)) continue;
    seen.add(node);
    const verdict = classifyNode(node);
    if (verdict !== undefined) return verdict;
    for (const next of nextNodesOf(node)) if (isObject(next)) pending.push(next);
  }
  return undefined;
}

function classifyNode(node: object): InfrastructureErrorClass | undefined {
  const record = node as Record<string, unknown>;
  // Prisma's request errors carry `code`; its initialisation errors carry `errorCode`.
  for (const field of ['code', 'errorCode', 'originalCode'] as const) {
    const code = record[field];
    if (typeof code !== 'string') continue;
    const verdict = PRISMA_CODES[code] ?? POSTGRES_CODES[code];
    if (verdict !== undefined) return verdict;
    if (SOCKET_CODES.has(code)) return 'unavailable';
  }
  const kind = record['kind'];
  if (typeof kind === 'string' && Object.hasOwn(DRIVER_ADAPTER_KINDS, kind))
    return DRIVER_ADAPTER_KINDS[kind];
  if (node instanceof Error) {
    if (UNAVAILABLE_ERROR_NAMES.has(node.name) || UNAVAILABLE_MESSAGES.has(node.message))
      return 'unavailable';
  }
  return undefined;
}

/** The cause, and a Prisma error's driver adapter error, which is not in its cause chain. */
function nextNodesOf(node: object): unknown[] {
  const record = node as Record<string, unknown>;
  const meta = record['meta'];
  const driverAdapterError = isObject(meta)
    ? (meta as Record<string, unknown>)['driverAdapterError']
    : undefined;
  return [record['cause'], driverAdapterError];
}

function isObject(value: unknown): value is object {
  return typeof value === 'object' && value !== null;
}
