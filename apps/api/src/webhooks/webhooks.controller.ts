import { Body, Controller, Delete, Get, HttpCode, Patch, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentOperator, OperatorAccess } from '../auth/access.decorators';
import { type OperatorPrincipal } from '../auth/principal';
import { IdParam } from '../common/id.params';
import { type Page } from '../common/pagination';
import { RequestId } from '../common/request-id.decorator';
import { openApiSchema, ZodValidationPipe } from '../common/zod-validation.pipe';
import { WebhookDeliveriesService } from './webhook-deliveries.service';
import {
  type CreatedWebhookEndpointView,
  type CreateWebhook,
  CreateWebhookSchema,
  type ListWebhookDeliveriesQuery,
  ListWebhookDeliveriesQuerySchema,
  type RotatedWebhookSecretView,
  type RotateWebhookSecret,
  RotateWebhookSecretSchema,
  type UpdateWebhook,
  UpdateWebhookSchema,
  type WebhookDeliveryView,
  type WebhookEndpointView,
} from './webhooks.dto';
import { WebhooksService } from './webhooks.service';

/** Operators' webhook endpoints, their deliveries and attempts. */
@ApiTags('webhooks')
@ApiBearerAuth()
@Controller('v1/webhooks')
export class WebhooksController {
  constructor(
    private readonly webhooks: WebhooksService,
    private readonly deliveries: WebhookDeliveriesService,
  ) {}

  @Post()
  @OperatorAccess('admin')
  @ApiOperation({ summary: 'Register an endpoint; its signing secret is in this response only' })
  @ApiBody({ schema: openApiSchema(CreateWebhookSchema) })
  create(
    @CurrentOperator() operator: OperatorPrincipal,
    @Body(new ZodValidationPipe(CreateWebhookSchema)) body: CreateWebhook,
    @RequestId() requestId: string | undefined,
  ): Promise<CreatedWebhookEndpointView> {
    return this.webhooks.create(operator, body, requestId);
  }

  @Get()
  @OperatorAccess('read')
  @ApiOperation({ summary: "The org's webhook endpoints (never their secrets)" })
  list(@CurrentOperator() operator: OperatorPrincipal): Promise<{ items: WebhookEndpointView[] }> {
    return this.webhooks.list(operator);
  }

  @Get(':id')
  @OperatorAccess('read')
  @ApiOperation({ summary: 'One webhook endpoint' })
  find(
    @CurrentOperator() operator: OperatorPrincipal,
    @IdParam('id') id: string,
  ): Promise<WebhookEndpointView> {
    return this.webhooks.find(operator, id);
  }

  @Patch(':id')
  @OperatorAccess('admin')
  @ApiOperation({ summary: 'Change the URL, events or description, or enable or disable the endpoint' })
  @ApiBody({ schema: openApiSchema(UpdateWebhookSchema) })
  update(
    @CurrentOperator() operator: OperatorPrincipal,
    @IdParam('id') id: string,
    @Body(new ZodValidationPipe(UpdateWebhookSchema)) body: UpdateWebhook,
    @RequestId() requestId: string | undefined,
  ): Promise<WebhookEndpointView> {
    return this.webhooks.update(operator, id, body, requestId);
  }

  @Delete(':id')
  @HttpCode(200)
  @OperatorAccess('admin')
  @ApiOperation({ summary: 'Delete an endpoint and its deliveries' })
  remove(
    @CurrentOperator() operator: OperatorPrincipal,
    @IdParam('id') id: string,
    @RequestId() requestId: string | undefined,
  ): Promise<WebhookEndpointView> {
    return this.webhooks.remove(operator, id, requestId);
  }

  @Post(':id/rotate-secret')
  @HttpCode(200)
  @OperatorAccess('admin')
  @ApiOperation({ summary: 'New signing secret (shown once); the previous one signs alongside for a while' })
  @ApiBody({ schema: openApiSchema(RotateWebhookSecretSchema), required: false })
  rotateSecret(
    @CurrentOperator() operator: OperatorPrincipal,
    @IdParam('id') id: string,
    @Body(new ZodValidationPipe(RotateWebhookSecretSchema)) body: RotateWebhookSecret,
    @RequestId() requestId: string | undefined,
  ): Promise<RotatedWebhookSecretView> {
    return this.webhooks.rotateSecret(operator, id, body, requestId);
  }

  @Get(':id/deliveries')
  @OperatorAccess('read')
  @ApiOperation({
    summary: "The endpoint's deliveries with their attempts, newest first (cursor pagination)",
  })
  listDeliveries(
    @CurrentOperator() operator: OperatorPrincipal,
    @IdParam('id') id: string,
    @Query(new ZodValidationPipe(ListWebhookDeliveriesQuerySchema)) query: ListWebhookDeliveriesQuery,
  ): Promise<Page<WebhookDeliveryView>> {
    return this.deliveries.list(operator, id, query);
  }

  @Get(':id/deliveries/:deliveryId')
  @OperatorAccess('read')
  @ApiOperation({ summary: 'One delivery with its attempts' })
  findDelivery(
    @CurrentOperator() operator: OperatorPrincipal,
    @IdParam('id') id: string,
    @IdParam('deliveryId') deliveryId: string,
  ): Promise<WebhookDeliveryView> {
    return this.deliveries.find(operator, id, deliveryId);
  }

  @Post(':id/deliveries/:deliveryId/redeliver')
  @HttpCode(202)
  @OperatorAccess('admin')
  @ApiOperation({ summary: 'Send a delivery again, with a fresh round of attempts' })
  redeliver(
    @CurrentOperator() operator: OperatorPrincipal,
    @IdParam('id') id: string,
    @IdParam('deliveryId') deliveryId: string,
    @RequestId() requestId: string | undefined,
  ): Promise<WebhookDeliveryView> {
    return this.deliveries.redeliver(operator, id, deliveryId, requestId);
  }

  @Post(':id/test')
  @HttpCode(202)
  @OperatorAccess('admin')
  @ApiOperation({ summary: 'Queue a webhook.test event for the endpoint' })
  sendTest(
    @CurrentOperator() operator: OperatorPrincipal,
    @IdParam('id') id: string,
    @RequestId() requestId: string | undefined,
  ): Promise<WebhookDeliveryView> {
    return this.deliveries.sendTest(operator, id, requestId);
  }
}
