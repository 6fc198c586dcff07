import { Body, Controller, Delete, Get, HttpCode, Patch, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentOperator, OperatorAccess } from '../auth/access.decorators';
import { type OperatorPrincipal } from '../auth/principal';
import { IdParam } from '../common/id.params';
import { type Page } from '../common/pagination';
import { RequestId } from '../common/request-id.decorator';
import { openApiSchema, ZodValidationPipe } from '../common/zod-validation.pipe';
import { type AgentBalancesView, AgentBalancesService } from './agent-balances.service';
import { AgentFaucetService, type FaucetResult } from './agent-faucet.service';
import { AgentTokensService } from './agent-tokens.service';
import {
  type AgentTokenView,
  type AgentView,
  type CreateAgent,
  CreateAgentSchema,
  type CreateAgentToken,
  CreateAgentTokenSchema,
  type CreatedAgentTokenView,
  type FaucetRequest,
  FaucetRequestSchema,
  type ListAgentsQuery,
  ListAgentsQuerySchema,
  type UpdateAgent,
  UpdateAgentSchema,
} from './agents.dto';
import { AgentsService } from './agents.service';

@ApiTags('agents')
@ApiBearerAuth()
@Controller('v1/agents')
export class AgentsController {
  constructor(
    private readonly agents: AgentsService,
    private readonly tokens: AgentTokensService,
    private readonly balancesService: AgentBalancesService,
    private readonly faucet: AgentFaucetService,
  ) {}

  @Post()
  @OperatorAccess('admin')
  @ApiOperation({ summary: 'Create an agent and issue its wallet' })
  @ApiBody({ schema: openApiSchema(CreateAgentSchema) })
  create(
    @CurrentOperator() operator: OperatorPrincipal,
    @Body(new ZodValidationPipe(CreateAgentSchema)) body: CreateAgent,
    @RequestId() requestId: string | undefined,
  ): Promise<AgentView> {
    return this.agents.create(operator, body, requestId);
  }

  @Get()
  @OperatorAccess('read')
  @ApiOperation({ summary: 'List agents (cursor pagination; filter by status or name)' })
  list(
    @CurrentOperator() operator: OperatorPrincipal,
    @Query(new ZodValidationPipe(ListAgentsQuerySchema)) query: ListAgentsQuery,
  ): Promise<Page<AgentView>> {
    return this.agents.list(operator, query);
  }

  @Get(':id')
  @OperatorAccess('read')
  @ApiOperation({ summary: 'Get an agent' })
  get(@CurrentOperator() operator: OperatorPrincipal, @IdParam('id') id: string): Promise<AgentView> {
    return this.agents.get(operator, id);
  }

  @Patch(':id')
  @OperatorAccess('admin')
  @ApiOperation({ summary: 'Rename, re-tag, freeze or unfreeze an agent' })
  @ApiBody({ schema: openApiSchema(UpdateAgentSchema) })
  update(
    @CurrentOperator() operator: OperatorPrincipal,
    @IdParam('id') id: string,
    @Body(new ZodValidationPipe(UpdateAgentSchema)) body: UpdateAgent,
    @RequestId() requestId: string | undefined,
  ): Promise<AgentView> {
    return this.agents.update(operator, id, body, requestId);
  }

  @Get(':id/balances')
  @OperatorAccess('read')
  @ApiOperation({ summary: "Native and token balances of the agent's wallet on every configured network" })
  balances(
    @CurrentOperator() operator: OperatorPrincipal,
    @IdParam('id') id: string,
  ): Promise<AgentBalancesView> {
    return this.balancesService.balances(operator, id);
  }

  @Post(':id/faucet')
  @HttpCode(200)
  @OperatorAccess('admin')
  @ApiOperation({ summary: 'Local chain only: mint test tokens and gas to the agent wallet' })
  @ApiBody({ schema: openApiSchema(FaucetRequestSchema) })
  fund(
    @CurrentOperator() operator: OperatorPrincipal,
    @IdParam('id') id: string,
    @Body(new ZodValidationPipe(FaucetRequestSchema)) body: FaucetRequest,
    @RequestId() requestId: string | undefined,
  ): Promise<FaucetResult> {
    return this.faucet.fund(operator, id, body, requestId);
  }

  @Post(':id/tokens')
  @OperatorAccess('admin')
  @ApiOperation({ summary: 'Create an agent token; the secret is in this response only' })
  @ApiBody({ schema: openApiSchema(CreateAgentTokenSchema) })
  createToken(
    @CurrentOperator() operator: OperatorPrincipal,
    @IdParam('id') id: string,
    @Body(new ZodValidationPipe(CreateAgentTokenSchema)) body: CreateAgentToken,
    @RequestId() requestId: string | undefined,
  ): Promise<CreatedAgentTokenView> {
    return this.tokens.create(operator, id, body, requestId);
  }

  @Get(':id/tokens')
  @OperatorAccess('read')
  @ApiOperation({ summary: "List an agent's tokens (prefixes only)" })
  listTokens(
    @CurrentOperator() operator: OperatorPrincipal,
    @IdParam('id') id: string,
  ): Promise<{ items: AgentTokenView[] }> {
    return this.tokens.list(operator, id).then((items) => ({ items }));
  }

  @Delete(':id/tokens/:tokenId')
  @HttpCode(200)
  @OperatorAccess('admin')
  @ApiOperation({ summary: 'Revoke an agent token' })
  revokeToken(
    @CurrentOperator() operator: OperatorPrincipal,
    @IdParam('id') id: string,
    @IdParam('tokenId') tokenId: string,
    @RequestId() requestId: string | undefined,
  ): Promise<AgentTokenView> {
    return this.tokens.revoke(operator, id, tokenId, requestId);
  }
}
