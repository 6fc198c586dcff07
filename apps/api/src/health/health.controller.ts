import { Controller, Get, Header, HttpCode, Res } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { PrismaService, RedisService } from '@proco/persistence';
import { type Response } from 'express';
import { Public } from '../auth/access.decorators';
import { NetworkRegistryService } from '../networks/network-registry.service';
import { MetricsService } from './metrics.service';

/** Each readiness probe gets this long before it counts as down. */
export const READINESS_PROBE_TIMEOUT_MS = 2_000;

type ProbeStatus = 'up' | 'down';

export interface ReadinessView {
  readonly status: ProbeStatus;
  readonly checks: Record<string, ProbeStatus>;
}

@ApiTags('health')
@Controller()
export class HealthController {
  constructor(
    private readonly prisma: PrismaService,
    private readonly redis: RedisService,
    private readonly registry: NetworkRegistryService,
    private readonly metrics: MetricsService,
  ) {}

  @Get('healthz')
  @Public()
  @ApiOperation({ summary: 'Liveness: the process is up' })
  live(): { status: 'up' } {
    return { status: 'up' };
  }

  @Get('readyz')
  @Public()
  @ApiOperation({ summary: 'Readiness: PostgreSQL, Redis and every RPC answer' })
  async ready(@Res({ passthrough: true }) response: Response): Promise<ReadinessView> {
    const probes: [string, () => Promise<unknown>][] = [
      ['postgres', () => this.prisma.$queryRaw`SELECT 1`],
      ['redis', () => this.redis.ping()],
      ...this.registry
        .list()
        .map((network): [string, () => Promise<unknown>] => [
          `rpc:${network.config.id}`,
          () => network.client.getBlockNumber({ cacheTime: 0 }),
        ]),
    ];
    const results = await Promise.all(
      probes.map(async ([name, probe]) => [name, await runProbe(probe)] as const),
    );
    const checks = Object.fromEntries(results);
    const status: ProbeStatus = results.every(([, result]) => result === 'up') ? 'up' : 'down';
    response.status(status === 'up' ? 200 : 503);
    return { status, checks };
  }

  @Get('metrics')
  @Public()
  @HttpCode(200)
  @Header('Cache-Control', 'no-store')
  @ApiOperation({ summary: 'Prometheus metrics' })
  async render(@Res() response: Response): Promise<void> {
    const { contentType, body } = await this.metrics.render();
    response.type(contentType).send(body);
  }
}

async function runProbe(probe: () => Promise<unknown>): Promise<ProbeStatus> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<ProbeStatus>((resolve) => {
    timer = setTimeout(() => resolve('down'), READINESS_PROBE_TIMEOUT_MS);
  });
  try {
    return await Promise.race([probe().then((): ProbeStatus => 'up'), timeout]);
  } catch {
    return 'down';
  } finally {
    clearTimeout(timer);
  }
}
