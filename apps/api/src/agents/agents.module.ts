import { Module } from '@nestjs/common';
import { NetworksModule } from '../networks/networks.module';
import { WalletsModule } from '../wallets/wallets.module';
import { AgentBalancesService } from './agent-balances.service';
import { AgentFaucetService } from './agent-faucet.service';
import { AgentSelfController } from './agent-self.controller';
import { AgentTokensService } from './agent-tokens.service';
import { AgentsController } from './agents.controller';
import { AgentsService } from './agents.service';

@Module({
  imports: [WalletsModule, NetworksModule],
  controllers: [AgentsController, AgentSelfController],
  providers: [AgentsService, AgentTokensService, AgentBalancesService, AgentFaucetService],
  exports: [AgentsService, AgentFaucetService],
})
export class AgentsModule {}
