import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { type z } from 'zod';
import { type ConfigIssue, ConfigError } from './config.errors';
import {
  type Environment,
  type EnvironmentVariables,
  EnvironmentVariablesSchema,
  type NetworkConfig,
  NetworksFileSchema,
} from './config.schema';
import { SecretBytes } from './secret-bytes';

/** Master keys are AES-256 keys: exactly 32 bytes. */
export const MASTER_KEY_LENGTH_BYTES = 32;
/** Where a development machine keeps its generated master key when none is configured. */
export const DEVELOPMENT_MASTER_KEY_FILE = '.proco/dev-master.key';
const NETWORKS_FILE_SIZE_MAX_BYTES = 256 * 1024;

/** The validated, frozen configuration every part of Proco is given. */
export interface ProcoConfig {
  readonly environment: Environment;
  readonly api: {
    readonly host: string;
    readonly port: number;
    readonly publicUrl: string;
    readonly bodyLimitBytes: number;
    readonly docsEnabled: boolean;
  };
  readonly log: { readonly level: EnvironmentVariables['PROCO_LOG_LEVEL']; readonly file: string | null };
  readonly database: { readonly url: string; readonly poolSize: number };
  readonly redis: { readonly url: string; readonly prefix: string };
  readonly masterKeys: {
    readonly active: SecretBytes;
    readonly previous: readonly SecretBytes[];
    readonly source: 'environment' | 'file' | 'development-file';
  };
  readonly networks: readonly NetworkConfig[];
  readonly rpc: { readonly timeoutMs: number };
  readonly faucet: { readonly enabled: boolean };
  /** Verifies of one payer's authorizations per network and minute that may reach the chain. */
  readonly facilitator: { readonly payerVerifiesPerMinute: number };
  readonly settlement: {
    /** How long `POST /facilitator/settle` waits for confirmation before answering `settlement_pending`. */
    readonly settleWaitMs: number;
    /** Authorizations per transaction; 1 settles each in its own transaction. */
    readonly batchSize: number;
    /** How long the first queued authorization waits for others to share its transaction. */
    readonly batchWaitMs: number;
    /** Gas one authorization may cost; a transaction estimated above count x this is not sent. */
    readonly gasPerAuthorizationMax: number;
    /** How long one confirmation attempt waits for a receipt before the outcome is `unknown`. */
    readonly receiptTimeoutMs: number;
  };
  readonly webhooks: {
    /** Endpoints may be on loopback, private, link-local or unique-local addresses. */
    readonly allowPrivateHosts: boolean;
    /** How long one delivery attempt may take, DNS and connection included. */
    readonly timeoutMs: number;
    /** The wait after a delivery's first failed attempt; it doubles after each further one. */
    readonly retryBaseMs: number;
  };
  /** Failpoints by name (tests only): crash the process, or throw, when the code passes the site. */
  readonly failpoints: ReadonlyMap<string, FailpointAction>;
}

/** What a failpoint does when reached: `crash` is SIGKILL of the process, `error` a thrown error. */
export type FailpointAction = 'crash' | 'error';

export interface LoadConfigParams {
  /** The variables to read; the process environment by default. */
  readonly environment?: Readonly<Record<string, string | undefined>>;
  /** Relative paths (networks file, key files) resolve against this directory. */
  readonly workingDirectory?: string;
}

/**
 * Reads and validates the whole configuration once. Throws `ConfigError` listing every invalid
 * variable, so an operator fixes them in one pass instead of one per restart.
 */
export function loadConfig(params: LoadConfigParams = {}): ProcoConfig {
  const environment = params.environment ?? process.env;
  const workingDirectory = params.workingDirectory ?? process.cwd();
  const issues: ConfigIssue[] = [];

  const variables = parseVariables(environment, issues);
  const resolvePath = (path: string): string => (isAbsolute(path) ? path : resolve(workingDirectory, path));

  const masterKeys = readMasterKeys({ variables, resolvePath, issues });
  const networks = readNetworks({ variables, environment, resolvePath, issues });
  if (variables.PROCO_FAILPOINTS !== undefined && variables.PROCO_ENV === 'production') {
    issues.push({ variable: 'PROCO_FAILPOINTS', message: 'failpoints are for tests; refused in production' });
  }
  if (issues.length > 0 || masterKeys === undefined || networks === undefined) {
    throw new ConfigError(issues);
  }

  const anyLocalNetwork = networks.some((network) => network.local);
  const config: ProcoConfig = {
    environment: variables.PROCO_ENV,
    api: {
      host: variables.PROCO_API_HOST,
      port: variables.PROCO_API_PORT,
      publicUrl:
        variables.PROCO_PUBLIC_URL ?? `http://${variables.PROCO_API_HOST}:${variables.PROCO_API_PORT}`,
      bodyLimitBytes: variables.PROCO_BODY_LIMIT_BYTES,
      docsEnabled: variables.PROCO_DOCS_ENABLED,
    },
    log: {
      level: variables.PROCO_LOG_LEVEL,
      file: variables.PROCO_LOG_FILE === undefined ? null : resolvePath(variables.PROCO_LOG_FILE),
    },
    database: { url: variables.DATABASE_URL, poolSize: variables.PROCO_DATABASE_POOL_SIZE },
    redis: { url: variables.REDIS_URL, prefix: variables.PROCO_REDIS_PREFIX },
    masterKeys,
    networks,
    rpc: { timeoutMs: variables.PROCO_RPC_TIMEOUT_MS },
    // The faucet mints on developer chains only; production never enables it by default.
    faucet: {
      enabled: variables.PROCO_FAUCET_ENABLED ?? (variables.PROCO_ENV !== 'production' && anyLocalNetwork),
    },
    facilitator: { payerVerifiesPerMinute: variables.PROCO_FACILITATOR_PAYER_VERIFIES_PER_MINUTE },
    settlement: {
      settleWaitMs: variables.PROCO_SETTLE_WAIT_MS,
      batchSize: variables.PROCO_SETTLEMENT_BATCH_SIZE,
      batchWaitMs: variables.PROCO_SETTLEMENT_BATCH_WAIT_MS,
      gasPerAuthorizationMax: variables.PROCO_SETTLEMENT_GAS_PER_AUTHORIZATION_MAX,
      receiptTimeoutMs: variables.PROCO_SETTLEMENT_RECEIPT_TIMEOUT_MS,
    },
    webhooks: {
      allowPrivateHosts: variables.PROCO_WEBHOOK_ALLOW_PRIVATE_HOSTS,
      timeoutMs: variables.PROCO_WEBHOOK_TIMEOUT_MS,
      retryBaseMs: variables.PROCO_WEBHOOK_RETRY_BASE_MS,
    },
    failpoints: new Map(
      (variables.PROCO_FAILPOINTS?.split(',') ?? []).map((entry) => {
        const [name = '', action] = entry.split(':');
        return [name, action === 'crash' ? 'crash' : 'error'] as const;
      }),
    ),
  };
  return deepFreeze(config);
}

/**
 * Parses each variable on its own, so one bad variable does not hide the others: a variable that
 * fails is recorded and replaced by its default, and reading goes on (keys, networks file) so the
 * final error lists every problem.
 */
function parseVariables(
  environment: Readonly<Record<string, string | undefined>>,
  issues: ConfigIssue[],
): EnvironmentVariables {
  const parsed = EnvironmentVariablesSchema.safeParse(environment);
  if (parsed.success) return parsed.data;
  issues.push(...zodIssues(parsed.error, (path) => path[0] ?? 'environment'));
  const failed = new Set(parsed.error.issues.map((issue) => String(issue.path[0])));
  const patched = Object.fromEntries(Object.entries(environment).filter(([name]) => !failed.has(name)));
  // Every failed variable is optional or has a default, so the patched set always parses.
  return EnvironmentVariablesSchema.parse(patched);
}

function zodIssues(error: z.ZodError, variableOf: (path: readonly string[]) => string): ConfigIssue[] {
  return error.issues.map((issue) => {
    const path = issue.path.map(String);
    return { variable: variableOf(path), message: issue.message };
  });
}

interface ReadMasterKeysParams {
  readonly variables: EnvironmentVariables;
  readonly resolvePath: (path: string) => string;
  readonly issues: ConfigIssue[];
}

function readMasterKeys({
  variables,
  resolvePath,
  issues,
}: ReadMasterKeysParams): ProcoConfig['masterKeys'] | undefined {
  const previous = (variables.PROCO_PREVIOUS_MASTER_KEYS ?? '')
    .split(',')
    .map((value) => value.trim())
    .filter((value) => value.length > 0)
    .map((value) => decodeMasterKey({ value, variable: 'PROCO_PREVIOUS_MASTER_KEYS', issues }));

  if (variables.PROCO_MASTER_KEY !== undefined && variables.PROCO_MASTER_KEY_FILE !== undefined) {
    issues.push({
      variable: 'PROCO_MASTER_KEY',
      message: 'set PROCO_MASTER_KEY or PROCO_MASTER_KEY_FILE, not both',
    });
    return undefined;
  }
  let active: SecretBytes | undefined;
  let source: ProcoConfig['masterKeys']['source'];
  if (variables.PROCO_MASTER_KEY !== undefined) {
    active = decodeMasterKey({ value: variables.PROCO_MASTER_KEY, variable: 'PROCO_MASTER_KEY', issues });
    source = 'environment';
  } else if (variables.PROCO_MASTER_KEY_FILE !== undefined) {
    active = readMasterKeyFile({ path: resolvePath(variables.PROCO_MASTER_KEY_FILE), issues });
    source = 'file';
  } else if (variables.PROCO_ENV === 'production') {
    issues.push({
      variable: 'PROCO_MASTER_KEY',
      message: 'required in production (or PROCO_MASTER_KEY_FILE)',
    });
    return undefined;
  } else {
    // A laptop needs no setup: generate a key once and keep it beside the checkout.
    active = readOrCreateDevelopmentKey({ path: resolvePath(DEVELOPMENT_MASTER_KEY_FILE), issues });
    source = 'development-file';
  }
  if (active === undefined || previous.some((key) => key === undefined)) return undefined;
  return { active, previous: previous.filter((key): key is SecretBytes => key !== undefined), source };
}

function decodeMasterKey(params: {
  value: string;
  variable: string;
  issues: ConfigIssue[];
}): SecretBytes | undefined {
  const trimmed = params.value.trim();
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(trimmed)) {
    params.issues.push({ variable: params.variable, message: 'must be base64 of 32 random bytes' });
    return undefined;
  }
  const bytes = Buffer.from(trimmed, 'base64');
  if (bytes.length !== MASTER_KEY_LENGTH_BYTES) {
    params.issues.push({
      variable: params.variable,
      message: `must decode to ${MASTER_KEY_LENGTH_BYTES} bytes (got ${bytes.length})`,
    });
    return undefined;
  }
  const secret = new SecretBytes(bytes);
  bytes.fill(0);
  return secret;
}

function readMasterKeyFile(params: { path: string; issues: ConfigIssue[] }): SecretBytes | undefined {
  if (!existsSync(params.path)) {
    params.issues.push({ variable: 'PROCO_MASTER_KEY_FILE', message: `file not found: ${params.path}` });
    return undefined;
  }
  return decodeMasterKey({
    value: readFileSync(params.path, 'utf8'),
    variable: 'PROCO_MASTER_KEY_FILE',
    issues: params.issues,
  });
}

function readOrCreateDevelopmentKey(params: {
  path: string;
  issues: ConfigIssue[];
}): SecretBytes | undefined {
  if (!existsSync(params.path)) {
    mkdirSync(dirname(params.path), { recursive: true, mode: 0o700 });
    const fresh = randomBytes(MASTER_KEY_LENGTH_BYTES);
    // `wx` refuses to overwrite a key another process created in the meantime.
    try {
      writeFileSync(params.path, `${fresh.toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
    } catch (error: unknown) {
      if (!(error instanceof Error && 'code' in error && error.code === 'EEXIST')) throw error;
    } finally {
      fresh.fill(0);
    }
  }
  return decodeMasterKey({
    value: readFileSync(params.path, 'utf8'),
    variable: DEVELOPMENT_MASTER_KEY_FILE,
    issues: params.issues,
  });
}

interface ReadNetworksParams {
  readonly variables: EnvironmentVariables;
  readonly environment: Readonly<Record<string, string | undefined>>;
  readonly resolvePath: (path: string) => string;
  readonly issues: ConfigIssue[];
}

function readNetworks({
  variables,
  environment,
  resolvePath,
  issues,
}: ReadNetworksParams): NetworkConfig[] | undefined {
  const path = resolvePath(variables.PROCO_NETWORKS_FILE);
  let raw: unknown;
  try {
    const text = readFileSync(path, 'utf8');
    if (text.length > NETWORKS_FILE_SIZE_MAX_BYTES) throw new Error('file is larger than 256 KiB');
    raw = JSON.parse(text);
  } catch (error: unknown) {
    const reason = error instanceof Error ? error.message : 'unreadable';
    issues.push({ variable: 'PROCO_NETWORKS_FILE', message: `${path}: ${reason}` });
    return undefined;
  }
  const parsed = NetworksFileSchema.safeParse(raw);
  if (!parsed.success) {
    issues.push(
      ...zodIssues(parsed.error, (segments) =>
        segments.length === 0 ? 'PROCO_NETWORKS_FILE' : `PROCO_NETWORKS_FILE ${segments.join('.')}`,
      ),
    );
    return undefined;
  }
  // Each network's RPC URL can be overridden without editing the file, e.g. in docker-compose:
  // PROCO_RPC_URL_EIP155_84532=http://anvil:8545.
  return parsed.data.networks.map((network) => {
    const variable = `PROCO_RPC_URL_${network.id.replace(':', '_').toUpperCase()}`;
    const override = environment[variable];
    if (override === undefined) return network;
    if (!/^https?:\/\/\S+$/.test(override)) {
      issues.push({ variable, message: 'must be an http(s) URL' });
      return network;
    }
    return { ...network, rpcUrl: override };
  });
}

function deepFreeze<T>(value: T): T {
  if (
    value !== null &&
    typeof value === 'object' &&
    !(value instanceof SecretBytes) &&
    !Object.isFrozen(value)
  ) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}
