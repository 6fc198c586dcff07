import { Controller, Get } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { AgentAccess, CurrentAgent } from '../auth/access.decorators';
import { type AgentPrincipal } from '../auth/principal';
import { type AgentView } from './agents.dto';
import { AgentsService, toAgentView } from './agents.service';

/** Routes an agent calls with its own token. */
@ApiTags('agent')
@ApiBearerAuth()
@Controller('v1/agent')
export class AgentSelfController {
  constructor(private readonly agents: AgentsService) {}

  @Get('me')
  @AgentAccess()
  @ApiOperation({ summary: 'The calling agent, with its wallet address' })
  me(@CurrentAgent() agent: AgentPrincipal): Promise<AgentView> {
    return this.agents.find(agent.orgId, agent.agentId).then(toAgentView);
  }
}
