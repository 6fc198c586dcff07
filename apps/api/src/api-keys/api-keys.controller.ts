import { Body, Controller, Delete, Get, HttpCode, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentOperator, OperatorAccess } from '../auth/access.decorators';
import { type OperatorPrincipal } from '../auth/principal';
import { IdParam } from '../common/id.params';
import { RequestId } from '../common/request-id.decorator';
import { openApiSchema, ZodValidationPipe } from '../common/zod-validation.pipe';
import {
  type ApiKeyView,
  type CreateApiKey,
  CreateApiKeySchema,
  type CreatedApiKeyView,
} from './api-keys.dto';
import { ApiKeysService } from './api-keys.service';

@ApiTags('api-keys')
@ApiBearerAuth()
@Controller('v1/api-keys')
export class ApiKeysController {
  constructor(private readonly apiKeys: ApiKeysService) {}

  @Post()
  @OperatorAccess('admin')
  @ApiOperation({ summary: 'Create an operator API key; the secret is in this response only' })
  @ApiBody({ schema: openApiSchema(CreateApiKeySchema) })
  create(
    @CurrentOperator() operator: OperatorPrincipal,
    @Body(new ZodValidationPipe(CreateApiKeySchema)) body: CreateApiKey,
    @RequestId() requestId: string | undefined,
  ): Promise<CreatedApiKeyView> {
    return this.apiKeys.create(operator, body, requestId);
  }

  @Get()
  @OperatorAccess('read')
  @ApiOperation({ summary: "List the org's API keys (prefixes only)" })
  list(@CurrentOperator() operator: OperatorPrincipal): Promise<{ items: ApiKeyView[] }> {
    return this.apiKeys.list(operator).then((items) => ({ items }));
  }

  @Delete(':id')
  @HttpCode(200)
  @OperatorAccess('admin')
  @ApiOperation({ summary: 'Revoke an API key' })
  revoke(
    @CurrentOperator() operator: OperatorPrincipal,
    @IdParam('id') id: string,
    @RequestId() requestId: string | undefined,
  ): Promise<ApiKeyView> {
    return this.apiKeys.revoke(operator, id, requestId);
  }
}
