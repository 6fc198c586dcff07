import { randomUUID } from 'node:crypto';
import { type DynamicModule, type MiddlewareConsumer, Module, type NestModule } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { ConfigModule, PROCO_CONFIG, type ProcoConfig } from '@proco/config';
import { PersistenceModule, queueRootModule } from '@proco/persistence';
import { type IncomingMessage, type ServerResponse } from 'node:http';
import { LoggerModule } from 'nestjs-pino';
import pino from 'pino';
import { AgentsModule } from './agents/agents.module';
import { ApiKeysModule } from './api-keys/api-keys.module';
import { AuditModule } from './audit/audit.module';
import { AuthModule } from './auth/auth.module';
import { JsonBodyMiddleware } from './common/json-body.middleware';
import { FacilitatorModule } from './facilitator/facilitator.module';
import { SettlementsModule } from './settlements/settlements.module';
import { ProblemFilter } from './common/problem.filter';
import { HealthModule } from './health/health.module';
import { RequestMetricsMiddleware } from './health/request-metrics.middleware';
import { NetworksModule } from './networks/networks.module';
import { OrgsModule } from './orgs/orgs.module';
import { PaymentsModule } from './payments/payments.module';
import { PoliciesModule } from './policies/policies.module';
import { ReceiptsModule } from './receipts/receipts.module';
import { WebhooksModule } from './webhooks/webhooks.module';

/** Probes polled every few seconds; logging each would drown the useful lines. */
const QUIET_PATHS = new Set(['/healthz', '/readyz', '/metrics']);
const REQUEST_ID_PATTERN = /^[A-Za-z0-9._-]{1,100}$/;

/** Reuses a caller's `X-Request-Id` when it is well-formed, so logs join across services. */
function requestIdOf(request: IncomingMessage, response: ServerResponse): string {
  const offered = request.headers['x-request-id'];
  const id = typeof offered === 'string' && REQUEST_ID_PATTERN.test(offered) ? offered : randomUUID();
  response.setHeader('X-Request-Id', id);
  return id;
}

/** The API application: operator REST, agent routes, health, docs. */
@Module({})
export class AppModule implements NestModule {
  static forRoot(config?: ProcoConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        LoggerModule.forRootAsync({
          inject: [PROCO_CONFIG],
          useFactory: (resolved: ProcoConfig) => ({
            pinoHttp: [
              {
                level: resolved.log.level,
                genReqId: requestIdOf,
                // Credentials travel in headers; they never reach a log line.
                redact: {
                  paths: ['req.headers.authorization', 'req.headers.cookie', 'res.headers["set-cookie"]'],
                  remove: true,
                },
                serializers: {
                  req: (request: { id: unknown; method: unknown; url: unknown }) => ({
                    id: request.id,
                    method: request.method,
                    url: request.url,
                  }),
                },
                // Silent logging skips the per-request log work entirely.
                autoLogging:
                  resolved.log.level === 'silent'
                    ? false
                    : { ignore: (request: IncomingMessage) => QUIET_PATHS.has(request.url ?? '') },
              },
              // JSON lines to stdout by default; a file when configured (log shipping, leak scans).
              resolved.log.file === null
                ? pino.destination(1)
                : pino.destination({ dest: resolved.log.file, append: true, sync: true }),
            ],
          }),
        }),
        PersistenceModule,
        queueRootModule(),
        AuthModule,
        HealthModule,
        NetworksModule,
        OrgsModule,
        ApiKeysModule,
        AgentsModule,
        AuditModule,
        PoliciesModule,
        ReceiptsModule,
        PaymentsModule,
        FacilitatorModule,
        SettlementsModule,
        WebhooksModule,
      ],
      providers: [{ provide: APP_FILTER, useClass: ProblemFilter }, JsonBodyMiddleware],
    };
  }

  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(RequestMetricsMiddleware, JsonBodyMiddleware).forRoutes('*');
  }
}
