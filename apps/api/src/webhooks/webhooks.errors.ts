import { type WebhookTargetRefusal } from '@proco/webhooks';
import { DomainError } from '../common/api.errors';

export type WebhooksErrorCode =
  | 'webhook_endpoint_not_found'
  | 'webhook_delivery_not_found'
  | 'webhook_url_refused'
  | 'webhook_endpoint_limit_reached'
  | 'webhook_delivery_in_progress';

/** Also what another org sees for this org's endpoint: the same 404. */
export class WebhookEndpointNotFoundError extends DomainError<'webhook_endpoint_not_found'> {
  readonly code = 'webhook_endpoint_not_found';
  constructor(readonly endpointId: string) {
    super(`Webhook endpoint ${endpointId} does not exist.`);
  }
}

export class WebhookDeliveryNotFoundError extends DomainError<'webhook_delivery_not_found'> {
  readonly code = 'webhook_delivery_not_found';
  constructor(readonly deliveryId: string) {
    super(`Webhook delivery ${deliveryId} does not exist for this endpoint.`);
  }
}

/**
 * The endpoint URL is not one Proco will call: wrong scheme, credentials in it, or a host that is
 * (or resolves to) a loopback, private, link-local or otherwise internal address.
 */
export class WebhookUrlRefusedError extends DomainError<'webhook_url_refused'> {
  readonly code = 'webhook_url_refused';
  constructor(
    readonly reason: WebhookTargetRefusal,
    message: string,
  ) {
    super(`The webhook URL is refused: ${message}.`);
  }
  override details(): Record<string, unknown> {
    return { reason: this.reason };
  }
}

export class WebhookEndpointLimitReachedError extends DomainError<'webhook_endpoint_limit_reached'> {
  readonly code = 'webhook_endpoint_limit_reached';
  constructor(readonly limit: number) {
    super(`An org has at most ${limit} webhook endpoints; delete one first.`);
  }
}

/** A redelivery asked for while an attempt of the same delivery is being made. */
export class WebhookDeliveryInProgressError extends DomainError<'webhook_delivery_in_progress'> {
  readonly code = 'webhook_delivery_in_progress';
  constructor(readonly deliveryId: string) {
    super(`An attempt of delivery ${deliveryId} is in progress; try again in a few seconds.`);
  }
}
