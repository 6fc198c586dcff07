import { z } from 'zod';

/** Deployment environment; `production` turns off every development default. */
export const EnvironmentSchema = z.enum(['development', 'test', 'production']);
export type Environment = z.infer<typeof EnvironmentSchema>;

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const portSchema = z.coerce.number().int().min(0).max(65_535);
const positiveIntSchema = z.coerce.number().int().positive();
const booleanSchema = z
  .enum(['true', 'false', '1', '0'])
  .transform((value) => value === 'true' || value === '1');

/**
 * The environment variables Proco reads, with their local defaults. Every variable is listed in
 * the README's configuration table; keep the two in step.
 */
export const EnvironmentVariablesSchema = z.object({
  PROCO_ENV: EnvironmentSchema.default('development'),
  PROCO_API_HOST: z.string().min(1).default('127.0.0.1'),
  PROCO_API_PORT: portSchema.default(3000),
  PROCO_PUBLIC_URL: z.url().optional(),
  PROCO_LOG_LEVEL: z.enum(LOG_LEVELS).default('info'),
  PROCO_LOG_FILE: z.string().min(1).optional(),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgresql:// URL')
    .default('postgresql://postgres@127.0.0.1:5432/proco'),
  PROCO_DATABASE_POOL_SIZE: positiveIntSchema.max(200).default(10),
  PROCO_FACILITATOR_PAYER_VERIFIES_PER_MINUTE: positiveIntSchema.max(1_000_000).default(1_200),
  PROCO_SETTLE_WAIT_MS: z.coerce.number().int().min(0).max(120_000).default(30_000),
  PROCO_SETTLEMENT_BATCH_SIZE: positiveIntSchema.max(200).default(20),
  PROCO_SETTLEMENT_BATCH_WAIT_MS: z.coerce.number().int().min(0).max(60_000).default(0),
  PROCO_SETTLEMENT_GAS_PER_AUTHORIZATION_MAX: positiveIntSchema.min(30_000).max(1_000_000).default(150_000),
  PROCO_SETTLEMENT_RECEIPT_TIMEOUT_MS: positiveIntSchema.max(600_000).default(60_000),
  REDIS_URL: z
    .string()
    .regex(/^rediss?:\/\//, 'must be a redis:// URL')
    .default('redis://127.0.0.1:6379'),
  PROCO_REDIS_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9:_-]{1,64}$/, 'letters, digits, ":", "_" or "-", at most 64')
    .default('proco'),
  PROCO_MASTER_KEY: z.string().optional(),
  PROCO_MASTER_KEY_FILE: z.string().optional(),
  PROCO_PREVIOUS_MASTER_KEYS: z.string().optional(),
  PROCO_NETWORKS_FILE: z.string().default('config/networks.local.json'),
  PROCO_RPC_TIMEOUT_MS: positiveIntSchema.max(60_000).default(5_000),
  PROCO_BODY_LIMIT_BYTES: positiveIntSchema.max(10 * 1024 * 1024).default(64 * 1024),
  PROCO_FAUCET_ENABLED: booleanSchema.optional(),
  PROCO_DOCS_ENABLED: booleanSchema.default(true),
  /** Webhooks may target loopback, private and link-local addresses (receivers on a private network). */
  PROCO_WEBHOOK_ALLOW_PRIVATE_HOSTS: booleanSchema.default(false),
  PROCO_WEBHOOK_TIMEOUT_MS: positiveIntSchema.max(30_000).default(5_000),
  PROCO_WEBHOOK_RETRY_BASE_MS: positiveIntSchema.max(3_600_000).default(30_000),
  /** Test-only crash sites, `name:crash` or `name:error`, comma-separated; refused in production. */
  PROCO_FAILPOINTS: z
    .string()
    .regex(
      /^([a-z][a-zA-Z.]{0,63}:(crash|error))(,[a-z][a-zA-Z.]{0,63}:(crash|error)){0,15}$/,
      'a comma-separated list of name:crash or name:error',
    )
    .optional(),
});
export type EnvironmentVariables = z.infer<typeof EnvironmentVariablesSchema>;

const addressSchema = z.string().regex(/^0x[0-9a-fA-F]{40}$/, 'must be a 20-byte hex address');

/** One token Proco pays and settles in, with the EIP-712 domain it must be verified against. */
export const AssetConfigSchema = z.strictObject({
  address: addressSchema,
  symbol: z.string().min(1).max(32),
  decimals: z.number().int().min(0).max(36),
  eip712: z.strictObject({ name: z.string().min(1).max(100), version: z.string().min(1).max(32) }),
  /** US dollars per whole token, as a decimal string ("1" for USD stablecoins); enables USD rules. */
  usdRate: z
    .string()
    .regex(/^(0|[1-9][0-9]{0,11})(\.[0-9]{1,18})?$/, 'a decimal string such as "1" or "0.998"')
    .optional(),
});
export type AssetConfig = z.infer<typeof AssetConfigSchema>;

/** One EVM network, identified by its CAIP-2 id. */
export const NetworkConfigSchema = z
  .strictObject({
    id: z.string().regex(/^eip155:[1-9][0-9]{0,15}$/, 'must be a CAIP-2 eip155 id such as eip155:84532'),
    name: z.string().min(1).max(100),
    rpcUrl: z.url(),
    confirmations: z.number().int().min(0).max(1_000),
    /** A developer chain (anvil): enables the test-token faucet. */
    local: z.boolean().default(false),
    explorerUrl: z.url().optional(),
    /** The Multicall3-compatible contract batched settlements go through (its canonical address by default). */
    multicall3: addressSchema.default('0xcA11bde05977b3631167028862bE2a173976CA11'),
    assets: z.array(AssetConfigSchema).max(64).default([]),
  })
  .superRefine((network, context) => {
    const seen = new Set<string>();
    network.assets.forEach((asset, index) => {
      const key = asset.address.toLowerCase();
      if (seen.has(key)) {
        context.addIssue({ code: 'custom', path: ['assets', index, 'address'], message: 'duplicate asset' });
      }
      seen.add(key);
    });
  });
export type NetworkConfig = z.infer<typeof NetworkConfigSchema>;

export const NetworksFileSchema = z
  .strictObject({ networks: z.array(NetworkConfigSchema).min(1).max(32) })
  .superRefine((file, context) => {
    const seen = new Set<string>();
    file.networks.forEach((network, index) => {
      if (seen.has(network.id)) {
        context.addIssue({ code: 'custom', path: ['networks', index, 'id'], message: 'duplicate network' });
      }
      seen.add(network.id);
    });
  });
export type NetworksFile = z.infer<typeof NetworksFileSchema>;
