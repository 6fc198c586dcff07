import { Module } from '@nestjs/common';
import { NetworksModule } from '../networks/networks.module';
import { holdStoreProvider } from './hold-store.provider';
import { PoliciesController } from './policies.controller';
import { PoliciesService } from './policies.service';
import { PolicyBacktestService } from './policy-backtest.service';
import { PolicyDryRunService } from './policy-dry-run.service';
import { PolicyEvaluationService } from './policy-evaluation.service';

@Module({
  imports: [NetworksModule],
  controllers: [PoliciesController],
  providers: [
    PoliciesService,
    PolicyEvaluationService,
    PolicyDryRunService,
    PolicyBacktestService,
    holdStoreProvider,
  ],
  exports: [PoliciesService, PolicyEvaluationService, holdStoreProvider],
})
export class PoliciesModule {}
