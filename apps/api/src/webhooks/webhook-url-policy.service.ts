import { Injectable } from '@nestjs/common';
import { InjectConfig, type ProcoConfig } from '@proco/config';
import { createSystemLookup, type LookupHost, resolveWebhookTarget } from '@proco/webhooks';
import { WebhookUrlRefusedError } from './webhooks.errors';

/**
 * The SSRF rule at registration: `https:` only in production (`http:` too elsewhere), and every
 * address the host resolves to must be public unless `PROCO_WEBHOOK_ALLOW_PRIVATE_HOSTS` is set.
 * The worker checks again before each attempt, since DNS answers change after registration.
 */
@Injectable()
export class WebhookUrlPolicyService {
  private readonly lookup: LookupHost;

  constructor(@InjectConfig() private readonly config: ProcoConfig) {
    this.lookup = createSystemLookup({ timeoutMs: config.webhooks.timeoutMs });
  }

  /** Resolves once `url` may be an endpoint. Errors: `webhook_url_refused`. */
  async assertAllowed(url: string): Promise<void> {
    const target = await resolveWebhookTarget({
      url,
      lookup: this.lookup,
      allowHttp: this.config.environment !== 'production',
      allowPrivateHosts: this.config.webhooks.allowPrivateHosts,
    });
    if (!target.ok) throw new WebhookUrlRefusedError(target.reason, target.message);
  }
}
