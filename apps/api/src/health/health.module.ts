import { Module } from '@nestjs/common';
import { NetworksModule } from '../networks/networks.module';
import { HealthController } from './health.controller';
import { MetricsService } from './metrics.service';
import { RequestMetricsMiddleware } from './request-metrics.middleware';

@Module({
  imports: [NetworksModule],
  controllers: [HealthController],
  providers: [MetricsService, RequestMetricsMiddleware],
  exports: [MetricsService, RequestMetricsMiddleware],
})
export class HealthModule {}
