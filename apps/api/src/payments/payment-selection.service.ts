import { Injectable } from '@nestjs/common';
import { type PolicyVersions } from '@proco/persistence';
import { type PaymentRequest, PaymentRequestInvalidError, parseDecimal } from '@proco/policy';
import { type NormalizedPaymentRequired, type PayableRequirement } from '@proco/x402';
import { ValidationFailedError } from '../common/api.errors';
import { NetworkRegistryService } from '../networks/network-registry.service';
import { type DecisionView, toDecisionView } from '../policies/decision.view';
import {
  decide,
  type EffectiveDocuments,
  type EvaluatedPayment,
  PolicyEvaluationService,
} from '../policies/policy-evaluation.service';
import { NoPayableRequirementError, type RequirementRejection } from './payments.errors';
import { MAX_TIMEOUT_SECONDS_MIN } from './payments.limits';

/** Parameters of `PaymentSelectionService.select`. */
export interface SelectRequirementParams {
  readonly orgId: string;
  readonly agentId: string;
  readonly url: string;
  readonly method: string;
  readonly paymentRequired: NormalizedPaymentRequired;
  readonly now: Date;
}

/** Parameters of `PaymentSelectionService.reevaluate`: the requirement chosen earlier. */
export interface ReevaluateRequirementParams extends SelectRequirementParams {
  readonly chosen: {
    /** Position in the seller's `accepts`, when it was recorded (payments held before it was not). */
    readonly index: number | null;
    readonly network: string;
    readonly asset: string;
    readonly payTo: string;
    readonly amountAtomic: bigint;
  };
}

/** A selection evaluated under documents read now, with their versions for the database to confirm. */
export type ExactSelection = SelectedRequirement & { readonly versions: PolicyVersions };

/** The option to pay, the policy's verdict on it, and the checks the hold must enforce. */
export interface SelectedRequirement {
  readonly requirement: PayableRequirement;
  readonly request: PaymentRequest;
  readonly evaluated: EvaluatedPayment;
  readonly decision: DecisionView;
}

/**
 * Picks what to pay among a seller's `accepts`: options Proco can sign (exact, EIP-3009) on a
 * configured network and asset, cheapest first (ties keep the seller's order), and the first one
 * policy allows or holds for approval. Amounts of different assets are compared as atomic units;
 * every configured asset today is a 6-decimal stablecoin, so that is also the cheapest in USD.
 */
@Injectable()
export class PaymentSelectionService {
  constructor(
    private readonly registry: NetworkRegistryService,
    private readonly evaluation: PolicyEvaluationService,
  ) {}

  /**
   * Every payable option, cheapest first (ties keep the seller's order), each with an optimistic
   * decision: the policy evaluated as if nothing had been spent, so only rules that need no usage
   * (lists, caps, ceilings, hours, the approval threshold) decide here. Budgets and rate limits are
   * then enforced by the atomic reserve (`PaymentStore.begin`), and a decision to hold for approval
   * is confirmed against real usage (`evaluateExactly`) before it is stored. Pure: no I/O.
   * Errors: `no_payable_requirement`, `validation_failed`.
   */
  optimisticOptions(
    params: SelectRequirementParams & { documents: EffectiveDocuments },
  ): SelectedRequirement[] {
    const candidates = this.candidatesOf(params.paymentRequired);
    if (candidates.payable.length === 0) throw new NoPayableRequirementError(candidates.rejections);
    return candidates.payable.map((requirement) => {
      const request = this.requestOf({ ...params, requirement });
      let evaluated: EvaluatedPayment;
      try {
        evaluated = decide({ documents: params.documents, request, now: params.now, standings: null });
      } catch (error: unknown) {
        throw refusalOf(error);
      }
      return { requirement, request, evaluated, decision: toDecisionView(evaluated.decision) };
    });
  }

  /**
   * One option evaluated under the current documents and real usage, as the ledger reports it
   * now. Errors: `validation_failed`.
   */
  async evaluateExactly(
    params: SelectRequirementParams & { requirement: PayableRequirement },
  ): Promise<ExactSelection> {
    const request = this.requestOf(params);
    const { versions, ...evaluated } = await this.evaluate({ ...params, request });
    return {
      requirement: params.requirement,
      request,
      evaluated,
      decision: toDecisionView(evaluated.decision),
      versions,
    };
  }

  /**
   * Evaluates, at `now`, the one requirement chosen when the payment was first decided (an
   * operator approves that amount to that payee, not whatever is cheapest now). Returns the
   * decision whatever it is, deny included: the caller decides what an approval overrides.
   * Errors: `no_payable_requirement` (the option is no longer payable here), `validation_failed`.
   */
  async reevaluate(params: ReevaluateRequirementParams): Promise<ExactSelection> {
    const { chosen } = params;
    const candidates = this.candidatesOf(params.paymentRequired);
    // By position first: the stored document is the seller's, byte for byte, so the entry at the
    // recorded index is the one evaluated when the payment was held, even if another entry has
    // the same network, asset, payee and amount.
    const requirement = candidates.payable.find(
      (candidate) =>
        (chosen.index === null || candidate.index === chosen.index) &&
        candidate.network === chosen.network &&
        candidate.assetAddress.toLowerCase() === chosen.asset.toLowerCase() &&
        candidate.payToAddress.toLowerCase() === chosen.payTo.toLowerCase() &&
        candidate.amountAtomic === chosen.amountAtomic,
    );
    if (requirement === undefined) throw new NoPayableRequirementError(candidates.rejections);
    const request = this.requestOf({ ...params, requirement });
    const { versions, ...evaluated } = await this.evaluate({ ...params, request });
    return { requirement, request, evaluated, decision: toDecisionView(evaluated.decision), versions };
  }

  private candidatesOf(paymentRequired: NormalizedPaymentRequired): {
    payable: PayableRequirement[];
    rejections: RequirementRejection[];
  } {
    const payable: PayableRequirement[] = [];
    const rejections: RequirementRejection[] = [];
    for (const requirement of paymentRequired.accepts) {
      if (!requirement.supported) {
        rejections.push({ index: requirement.index, reason: requirement.unsupportedReason });
        continue;
      }
      const asset = this.registry.findAsset({
        network: requirement.network,
        asset: requirement.assetAddress,
      });
      if (requirement.amountAtomic === 0n) {
        // Nothing to reserve or sign: a zero-value authorization buys nothing a seller should honour.
        rejections.push({ index: requirement.index, reason: 'amount_zero' });
      } else if (requirement.maxTimeoutSeconds < MAX_TIMEOUT_SECONDS_MIN) {
        // An authorization that dies before the agent can retry with it would reserve budget and
        // sign for nothing.
        rejections.push({ index: requirement.index, reason: 'timeout_too_short' });
      } else if (asset === undefined) {
        rejections.push({ index: requirement.index, reason: 'asset_not_configured' });
      } else if (
        asset.eip712.name !== requirement.eip712Domain.name ||
        asset.eip712.version !== requirement.eip712Domain.version
      ) {
        // A domain other than the token's own yields a signature the token rejects: money
        // reserved for a payment that can never settle.
        rejections.push({ index: requirement.index, reason: 'eip712_domain_mismatch' });
      } else {
        payable.push(requirement);
      }
    }
    payable.sort((left, right) =>
      left.amountAtomic === right.amountAtomic
        ? left.index - right.index
        : left.amountAtomic < right.amountAtomic
          ? -1
          : 1,
    );
    return { payable, rejections };
  }

  private requestOf(params: SelectRequirementParams & { requirement: PayableRequirement }): PaymentRequest {
    const { requirement } = params;
    const asset = this.registry.findAsset({ network: requirement.network, asset: requirement.assetAddress });
    return {
      url: params.url,
      method: params.method,
      payTo: requirement.payToAddress,
      network: requirement.network,
      asset: requirement.assetAddress,
      amountAtomic: requirement.amountAtomic,
      ...(asset?.usdRate === undefined
        ? {}
        : { usdRate: { usdPerUnit: parseDecimal({ value: asset.usdRate }), decimals: asset.decimals } }),
    };
  }

  private async evaluate(
    params: SelectRequirementParams & { request: PaymentRequest },
  ): Promise<EvaluatedPayment & { versions: PolicyVersions }> {
    try {
      return await this.evaluation.evaluate({
        orgId: params.orgId,
        agentId: params.agentId,
        request: params.request,
        now: params.now,
      });
    } catch (error: unknown) {
      throw refusalOf(error);
    }
  }
}

/** A request the policy engine refuses is the caller's mistake: `validation_failed`. */
function refusalOf(error: unknown): unknown {
  return error instanceof PaymentRequestInvalidError
    ? new ValidationFailedError([{ field: error.field, message: error.message }])
    : error;
}
