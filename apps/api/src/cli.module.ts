import { type DynamicModule, Module } from '@nestjs/common';
import { ConfigModule, PROCO_CONFIG, type ProcoConfig } from '@proco/config';
import { PersistenceModule } from '@proco/persistence';
import { LoggerModule } from 'nestjs-pino';
import pino from 'pino';
import { ApiKeysModule } from './api-keys/api-keys.module';
import { OrgsModule } from './orgs/orgs.module';
import { ReceiptsModule } from './receipts/receipts.module';
import { WalletsModule } from './wallets/wallets.module';
import { WebhookSecretsModule } from './webhooks/webhook-secrets.module';

/** File descriptor of stderr: the CLI prints its result as JSON on stdout, so logs go elsewhere. */
const STDERR_FD = 2;
/** The most a one-shot command logs: Nest's start-up chatter at `info` only buries its output. */
const CLI_LOG_LEVEL_MAX = 'warn';

function cliLogLevel(configured: ProcoConfig['log']['level']): ProcoConfig['log']['level'] {
  const rank = (level: ProcoConfig['log']['level']): number =>
    level === 'silent' ? Number.POSITIVE_INFINITY : (pino.levels.values[level] ?? 0);
  return rank(configured) > rank(CLI_LOG_LEVEL_MAX) ? configured : CLI_LOG_LEVEL_MAX;
}

/**
 * What `bootstrap`, `rotate-master-key` and `rotate-receipt-key` need: configuration, PostgreSQL
 * (Redis stays unconnected, it connects lazily), orgs, API keys, wallets and receipt keys. No networks module, so an RPC outage cannot stop
 * an operator from creating an org or finishing a master-key rotation; no HTTP server either.
 */
@Module({})
export class CliModule {
  static forRoot(config?: ProcoConfig): DynamicModule {
    return {
      module: CliModule,
      imports: [
        ConfigModule.forRoot(config),
        LoggerModule.forRootAsync({
          inject: [PROCO_CONFIG],
          useFactory: (resolved: ProcoConfig) => ({
            pinoHttp: [
              { level: cliLogLevel(resolved.log.level), name: 'proco-cli' },
              pino.destination(STDERR_FD),
            ],
          }),
        }),
        PersistenceModule,
        OrgsModule,
        ApiKeysModule,
        WalletsModule,
        ReceiptsModule,
        WebhookSecretsModule,
      ],
    };
  }
}
