import { Controller, Get } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentOperator, OperatorAccess } from '../auth/access.decorators';
import { type OperatorPrincipal } from '../auth/principal';
import { type OrgView, OrgsService } from './orgs.service';

@ApiTags('org')
@ApiBearerAuth()
@Controller('v1/org')
export class OrgsController {
  constructor(private readonly orgs: OrgsService) {}

  @Get()
  @OperatorAccess('read')
  @ApiOperation({ summary: "The caller's org" })
  get(
    @CurrentOperator() operator: OperatorPrincipal,
  ): Promise<OrgView & { apiKey: { id: string; scope: string } }> {
    return this.orgs
      .get(operator.orgId)
      .then((org) => ({ ...org, apiKey: { id: operator.apiKeyId, scope: operator.scope } }));
  }
}
