import { Body, Controller, Get, HttpCode, Param, Post, Put, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import { PolicyDocumentSchema } from '@proco/policy';
import { CurrentOperator, OperatorAccess } from '../auth/access.decorators';
import { type OperatorPrincipal } from '../auth/principal';
import { IdParam } from '../common/id.params';
import { type Page } from '../common/pagination';
import { RequestId } from '../common/request-id.decorator';
import { openApiSchema, ZodValidationPipe } from '../common/zod-validation.pipe';
import {
  type BacktestPolicy,
  BacktestPolicySchema,
  type EvaluatePayment,
  EvaluatePaymentSchema,
  type ListPolicyVersionsQuery,
  ListPolicyVersionsQuerySchema,
  PolicyVersionParamSchema,
  type PolicyVersionView,
} from './policies.dto';
import { PoliciesService } from './policies.service';
import { PolicyBacktestService } from './policy-backtest.service';
import { type BacktestView } from './policy-backtest.view';
import { type DryRunView, PolicyDryRunService } from './policy-dry-run.service';

const ORG = { level: 'org' } as const;
const VersionParam = (): ParameterDecorator =>
  Param('version', new ZodValidationPipe(PolicyVersionParamSchema, 'version'));

/** Spending policies: the org default (every agent) and each agent's own; both must allow. */
@ApiTags('policies')
@ApiBearerAuth()
@Controller('v1/policies')
export class PoliciesController {
  constructor(
    private readonly policies: PoliciesService,
    private readonly dryRun: PolicyDryRunService,
    private readonly backtests: PolicyBacktestService,
  ) {}

  @Post('evaluate')
  @HttpCode(200)
  @OperatorAccess('read')
  @ApiOperation({
    summary: 'Dry run: would this payment by this agent be allowed now? (no hold, no signature)',
  })
  @ApiBody({ schema: openApiSchema(EvaluatePaymentSchema) })
  evaluate(
    @CurrentOperator() operator: OperatorPrincipal,
    @Body(new ZodValidationPipe(EvaluatePaymentSchema)) body: EvaluatePayment,
  ): Promise<DryRunView> {
    return this.dryRun.evaluate(operator, body);
  }

  @Post('backtest')
  @HttpCode(200)
  @OperatorAccess('read')
  @ApiOperation({
    summary:
      "Backtest: replay an agent's payments of the last days under draft policies and list what would change (no effect)",
  })
  @ApiBody({ schema: openApiSchema(BacktestPolicySchema) })
  backtest(
    @CurrentOperator() operator: OperatorPrincipal,
    @Body(new ZodValidationPipe(BacktestPolicySchema)) body: BacktestPolicy,
  ): Promise<BacktestView> {
    return this.backtests.backtest(operator, body);
  }

  @Put('org')
  @OperatorAccess('admin')
  @ApiOperation({ summary: 'Set the org policy (appends a new immutable version)' })
  @ApiBody({ schema: openApiSchema(PolicyDocumentSchema) })
  setOrg(
    @CurrentOperator() operator: OperatorPrincipal,
    @Body() body: unknown,
    @RequestId() requestId: string | undefined,
  ): Promise<PolicyVersionView> {
    return this.policies.setPolicy(operator, ORG, body, requestId);
  }

  @Get('org')
  @OperatorAccess('read')
  @ApiOperation({ summary: 'The current org policy' })
  getOrg(@CurrentOperator() operator: OperatorPrincipal): Promise<PolicyVersionView> {
    return this.policies.current(operator, ORG);
  }

  @Get('org/versions')
  @OperatorAccess('read')
  @ApiOperation({ summary: 'Versions of the org policy, newest first' })
  listOrgVersions(
    @CurrentOperator() operator: OperatorPrincipal,
    @Query(new ZodValidationPipe(ListPolicyVersionsQuerySchema)) query: ListPolicyVersionsQuery,
  ): Promise<Page<PolicyVersionView>> {
    return this.policies.versions(operator, ORG, query);
  }

  @Get('org/versions/:version')
  @OperatorAccess('read')
  @ApiOperation({ summary: 'One version of the org policy' })
  getOrgVersion(
    @CurrentOperator() operator: OperatorPrincipal,
    @VersionParam() version: number,
  ): Promise<PolicyVersionView> {
    return this.policies.version(operator, ORG, version);
  }

  @Put('agents/:agentId')
  @OperatorAccess('admin')
  @ApiOperation({ summary: "Set an agent's policy (appends a new immutable version)" })
  @ApiBody({ schema: openApiSchema(PolicyDocumentSchema) })
  setAgent(
    @CurrentOperator() operator: OperatorPrincipal,
    @IdParam('agentId') agentId: string,
    @Body() body: unknown,
    @RequestId() requestId: string | undefined,
  ): Promise<PolicyVersionView> {
    return this.policies.setPolicy(operator, { level: 'agent', agentId }, body, requestId);
  }

  @Get('agents/:agentId')
  @OperatorAccess('read')
  @ApiOperation({ summary: "An agent's current policy" })
  getAgent(
    @CurrentOperator() operator: OperatorPrincipal,
    @IdParam('agentId') agentId: string,
  ): Promise<PolicyVersionView> {
    return this.policies.current(operator, { level: 'agent', agentId });
  }

  @Get('agents/:agentId/versions')
  @OperatorAccess('read')
  @ApiOperation({ summary: "Versions of an agent's policy, newest first" })
  listAgentVersions(
    @CurrentOperator() operator: OperatorPrincipal,
    @IdParam('agentId') agentId: string,
    @Query(new ZodValidationPipe(ListPolicyVersionsQuerySchema)) query: ListPolicyVersionsQuery,
  ): Promise<Page<PolicyVersionView>> {
    return this.policies.versions(operator, { level: 'agent', agentId }, query);
  }

  @Get('agents/:agentId/versions/:version')
  @OperatorAccess('read')
  @ApiOperation({ summary: "One version of an agent's policy" })
  getAgentVersion(
    @CurrentOperator() operator: OperatorPrincipal,
    @IdParam('agentId') agentId: string,
    @VersionParam() version: number,
  ): Promise<PolicyVersionView> {
    return this.policies.version(operator, { level: 'agent', agentId }, version);
  }
}
