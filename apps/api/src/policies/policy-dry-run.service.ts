import { Injectable } from '@nestjs/common';
import { type PaymentRequest, PaymentRequestInvalidError, parseDecimal } from '@proco/policy';
import { PrismaService } from '@proco/persistence';
import { AgentNotFoundError } from '../agents/agents.errors';
import { type OperatorPrincipal } from '../auth/principal';
import { ValidationFailedError } from '../common/api.errors';
import { NetworkRegistryService } from '../networks/network-registry.service';
import { type DecisionView, toDecisionView } from './decision.view';
import { type EvaluatePayment } from './policies.dto';
import { PolicyEvaluationService } from './policy-evaluation.service';

export interface DryRunView {
  readonly agentId: string;
  readonly evaluatedAt: string;
  readonly decision: DecisionView;
}

/** "Would this payment be allowed?" — the live policies and usage, with no hold and no signature. */
@Injectable()
export class PolicyDryRunService {
  constructor(
    private readonly prisma: PrismaService,
    private readonly registry: NetworkRegistryService,
    private readonly evaluation: PolicyEvaluationService,
  ) {}

  /** Errors: `agent_not_found`, `validation_failed`. */
  async evaluate(operator: OperatorPrincipal, input: EvaluatePayment): Promise<DryRunView> {
    const agent = await this.prisma.agent.findFirst({
      where: { id: input.agentId, orgId: operator.orgId },
      select: { id: true },
    });
    if (agent === null) throw new AgentNotFoundError(input.agentId);
    const now = new Date();
    try {
      const { decision } = await this.evaluation.evaluate({
        orgId: operator.orgId,
        agentId: agent.id,
        request: this.requestOf(input.payment),
        now,
      });
      return { agentId: agent.id, evaluatedAt: now.toISOString(), decision: toDecisionView(decision) };
    } catch (error: unknown) {
      if (error instanceof PaymentRequestInvalidError) {
        throw new ValidationFailedError([{ field: `payment.${error.field}`, message: error.message }]);
      }
      throw error;
    }
  }

  private requestOf(payment: EvaluatePayment['payment']): PaymentRequest {
    const asset = this.registry.findAsset({ network: payment.network, asset: payment.asset });
    return {
      url: payment.url,
      method: payment.method.toUpperCase(),
      payTo: payment.payTo,
      network: payment.network,
      asset: payment.asset,
      amountAtomic: BigInt(payment.amount),
      ...(asset?.usdRate === undefined
        ? {}
        : { usdRate: { usdPerUnit: parseDecimal({ value: asset.usdRate }), decimals: asset.decimals } }),
    };
  }
}
