// Public API of @proco/config: the only code that reads process.env.
export { ConfigError } from './config.errors';
export type { ConfigIssue } from './config.errors';
export { ConfigModule, InjectConfig, PROCO_CONFIG } from './config.module';
export {
  AssetConfigSchema,
  EnvironmentSchema,
  EnvironmentVariablesSchema,
  NetworkConfigSchema,
  NetworksFileSchema,
} from './config.schema';
export type {
  AssetConfig,
  Environment,
  EnvironmentVariables,
  NetworkConfig,
  NetworksFile,
} from './config.schema';
export { DEVELOPMENT_MASTER_KEY_FILE, loadConfig, MASTER_KEY_LENGTH_BYTES } from './load-config';
export type { FailpointAction, LoadConfigParams, ProcoConfig } from './load-config';
export { SecretBytes } from './secret-bytes';
export { KEYRING, keyringProvider } from './keyring.provider';
