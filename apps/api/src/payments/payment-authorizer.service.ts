import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { hasRoom, HoldInvariantViolatedError, type HoldStore, type Standings } from '@proco/ledger';
import { type AppendAuditEventParams, PaymentStore, type PolicyVersions } from '@proco/persistence';
import {
  buildPaymentPayload,
  buildTransferAuthorization,
  encodePaymentHeader,
  type NormalizedPaymentRequired,
  paymentIdentifierOf,
  randomNonce,
} from '@proco/x402';
import { AgentFrozenError, AgentNotFoundError } from '../agents/agents.errors';
import { type AgentPrincipal, type OperatorPrincipal } from '../auth/principal';
import { toLoggableError } from '../common/loggable-error';
import { type DecisionView, toDecisionView } from '../policies/decision.view';
import { decide, type EffectiveDocuments } from '../policies/policy-evaluation.service';
import { HOLD_STORE } from '../policies/hold-store.provider';
import { ReceiptKeysService } from '../receipts/receipt-keys.service';
import { WalletNotFoundError } from '../wallets/wallets.errors';
import { WalletsService } from '../wallets/wallets.service';
import { holdIdOf } from './payment-request-hash.util';
import { type SelectedRequirement } from './payment-selection.service';
import { type AuthorizedPaymentView, type PayableMethod } from './payments.dto';
import { PaymentFailedError, PolicyChangedError } from './payments.errors';
import {
  AUTHORIZE_DEADLINE_MS,
  HOLD_EXPIRY_GRACE_SECONDS,
  IDEMPOTENCY_RETENTION_SECONDS,
  VALID_AFTER_SKEW_SECONDS,
  VALID_BEFORE_CAP_SECONDS,
} from './payments.limits';
import { mapX402Errors } from './x402-errors.util';
import { RECEIPT_LIFETIME_MAX_SECONDS } from '@proco/receipts';

/** Whose payment it is: the paying agent, or the owner of a payment an operator approves. */
export type PaymentOwner = Pick<AgentPrincipal, 'orgId' | 'agentId'>;

/** What every path that signs a payment knows about it. */
export interface PaymentContext {
  readonly agent: PaymentOwner;
  readonly paymentId: string;
  readonly idempotencyKey: string;
  readonly url: string;
  readonly method: PayableMethod;
  readonly paymentRequired: NormalizedPaymentRequired;
  readonly selected: SelectedRequirement;
  readonly now: Date;
  readonly requestId: string | undefined;
  /** Null for an agent's own purchase; the operator for an approval. */
  readonly approvedBy: OperatorPrincipal | null;
}

/** Parameters of `PaymentAuthorizerService.purchase`. */
export interface PurchaseParams {
  readonly agent: PaymentOwner;
  /** The wallet address the authorization names; the database confirms it (`wallet_changed`). */
  readonly payer: `0x${string}`;
  readonly idempotencyKey: string;
  readonly requestHash: Uint8Array<ArrayBuffer>;
  readonly url: string;
  readonly method: PayableMethod;
  readonly paymentRequired: NormalizedPaymentRequired;
  /** An option the optimistic evaluation allowed (see `PaymentSelectionService`). */
  readonly selected: SelectedRequirement;
  readonly documents: EffectiveDocuments;
  readonly policyVersions: PolicyVersions;
  readonly now: Date;
  readonly requestId: string | undefined;
}

/**
 * What `purchase` did: signed (`body` is the stored answer); the key names an existing payment;
 * the reserve found no room (nothing written); or what it was evaluated on is stale (a policy
 * pointer moved or the wallet changed; nothing written) and the purchase must be decided again.
 */
export type PurchaseResult =
  | { readonly kind: 'authorized'; readonly body: string }
  | { readonly kind: 'key_taken' }
  | { readonly kind: 'denied'; readonly decision: DecisionView }
  | { readonly kind: 'stale' };

/** Parameters of `PaymentAuthorizerService.authorizeApproved`: a held payment and its approver. */
export type AuthorizeApprovedParams = Omit<PaymentContext, 'approvedBy'> & {
  readonly payer: `0x${string}`;
  readonly approvedBy: OperatorPrincipal;
  /** The versions the approval was re-evaluated under, for the database to confirm. */
  readonly policyVersions: PolicyVersions;
};

/** What `authorizeApproved` did (see there). */
export type ApprovedResult =
  | { readonly kind: 'authorized' }
  | { readonly kind: 'claim_lost' }
  | { readonly kind: 'denied'; readonly decision: DecisionView };

const AUTHORIZATION_FAILED_REASON = 'authorization_failed';
/** Stands in for the signature while the payload is test-built before anything is reserved. */
const PLACEHOLDER_SIGNATURE = `0x${'00'.repeat(65)}` as const;

/**
 * Signs payments, in an order that never leaves half a state.
 *
 * An agent's purchase (`purchase`) is two database statements around the signature: `begin`
 * confirms the agent, its wallet and the policy versions, reserves the hold and inserts the
 * payment row with its nonce and validity fixed, all or nothing; then the EIP-3009 signature,
 * payload and receipt are made in memory; then `finish` stores the answer with its audit event.
 * An approval (`authorizeApproved`) claims its `pending_approval` row, reserves, signs and
 * finishes the same way. A failure after the reserve marks the payment `failed` and voids the hold.
 */
@Injectable()
export class PaymentAuthorizerService {
  private readonly logger = new Logger(PaymentAuthorizerService.name);

  constructor(
    private readonly payments: PaymentStore,
    private readonly wallets: WalletsService,
    private readonly receipts: ReceiptKeysService,
    @Inject(HOLD_STORE) private readonly holds: HoldStore,
  ) {}

  /**
   * An agent's purchase of one option the optimistic evaluation allowed.
   * Errors: `agent_not_found`, `agent_frozen`, `wallet_not_found`, `wallet_unavailable`,
   * `receipt_signing_unavailable`, `payment_failed`, x402 codes.
   */
  async purchase(params: PurchaseParams): Promise<PurchaseResult> {
    const { selected, agent } = params;
    const requirement = selected.requirement;
    const paymentId = randomUUID();
    const holdId = holdIdOf(paymentId);
    const built = this.authorizationFor({ selected, payer: params.payer, now: params.now });
    const context: PaymentContext = { ...params, paymentId, approvedBy: null };
    // Whatever the seller's document makes unencodable fails here, before money is reserved.
    this.payloadOf({ ...context, authorization: built.authorization, signature: PLACEHOLDER_SIGNATURE });
    const asset = requirement.assetAddress.toLowerCase();
    const begun = await this.payments.begin({
      paymentId,
      holdId,
      orgId: agent.orgId,
      agentId: agent.agentId,
      idempotencyKey: params.idempotencyKey,
      requestHash: params.requestHash,
      resourceUrl: params.url,
      method: params.method,
      network: requirement.network,
      asset: requirement.assetAddress,
      payTo: requirement.payToAddress,
      amountAtomic: requirement.amountAtomic,
      nonce: built.authorization.nonce,
      validAfter: built.authorization.validAfter,
      validBefore: built.authorization.validBefore,
      decision: selected.decision,
      expectedWallet: params.payer,
      policyVersions: params.policyVersions,
      checks: selected.evaluated.budgetChecks,
      rateLimits: selected.evaluated.rateLimitChecks,
      holdExpiresAt: holdExpiryOf(built.authorization.validBefore),
      retentionSeconds: IDEMPOTENCY_RETENTION_SECONDS,
      audit: [
        {
          orgId: agent.orgId,
          actor: { type: 'agent', id: agent.agentId },
          action: 'hold.reserved',
          subject: { type: 'hold', id: holdId },
          data: {
            agentId: agent.agentId,
            paymentId,
            network: requirement.network,
            asset,
            amountAtomic: requirement.amountAtomic.toString(),
          },
          requestId: params.requestId,
        },
      ],
    });
    switch (begun.outcome) {
      case 'key_taken':
        return { kind: 'key_taken' };
      case 'agent_not_found':
        throw new AgentNotFoundError(agent.agentId);
      case 'agent_frozen':
        throw new AgentFrozenError(agent.agentId);
      case 'wallet_not_found':
        throw new WalletNotFoundError(agent.agentId);
      case 'wallet_changed':
        this.wallets.forgetWallet(agent.agentId);
        return { kind: 'stale' };
      case 'policy_changed':
        return { kind: 'stale' };
      case 'budget_exceeded':
      case 'rate_limit_exceeded':
        return { kind: 'denied', decision: deniedByLedger(selected.decision, begun) };
      case 'reserved':
        break;
    }
    try {
      assertWithinBudgets({ holdId, selected, standings: begun.standings });
      // The decision as it stands with the usage the reserve read: the same rules on the same
      // numbers, so anything but `allow` means the reserve and the policy disagree.
      const evaluated = decide({
        documents: params.documents,
        request: selected.request,
        now: params.now,
        standings: begun.standings,
      });
      if (evaluated.decision.outcome !== 'allow') {
        throw new Error(
          `Payment ${paymentId} was reserved but its policy now says ${evaluated.decision.outcome}.`,
        );
      }
      const decided = {
        ...context,
        selected: { ...selected, evaluated, decision: toDecisionView(evaluated.decision) },
      };
      const body = await this.sign({ ...decided, built });
      return { kind: 'authorized', body };
    } catch (error: unknown) {
      await this.fail({ ...context, holdId, error });
      throw error;
    }
  }

  /**
   * Signs a payment an operator approved: one statement reserves its hold and claims it
   * (`pending_approval` to `authorizing`, with the approval's audit events), confirmed like a
   * purchase (agent still active, policy versions unchanged), then it is signed and finished.
   * `claim_lost`: a concurrent decision took it first. `denied`: the reserve found no room, with the
   * standings it read; the payment is still waiting and nothing was written.
   * Errors: `agent_frozen`, `policy_changed`, `wallet_unavailable`, `receipt_signing_unavailable`,
   * x402 codes.
   */
  async authorizeApproved(params: AuthorizeApprovedParams): Promise<ApprovedResult> {
    const { selected, agent } = params;
    const requirement = selected.requirement;
    const built = this.authorizationFor({ selected, payer: params.payer, now: params.now });
    const context: PaymentContext = params;
    this.payloadOf({ ...context, authorization: built.authorization, signature: PLACEHOLDER_SIGNATURE });
    const holdId = holdIdOf(params.paymentId);
    const asset = requirement.assetAddress.toLowerCase();
    const requirementData = {
      agentId: agent.agentId,
      amountAtomic: requirement.amountAtomic.toString(),
      network: requirement.network,
      asset: requirement.assetAddress,
      payTo: requirement.payToAddress,
    };
    const begun = await this.payments.beginApproved({
      paymentId: params.paymentId,
      holdId,
      orgId: agent.orgId,
      agentId: agent.agentId,
      network: requirement.network,
      asset: requirement.assetAddress,
      amountAtomic: requirement.amountAtomic,
      nonce: built.authorization.nonce,
      validAfter: built.authorization.validAfter,
      validBefore: built.authorization.validBefore,
      decision: selected.decision,
      expectedWallet: params.payer,
      policyVersions: params.policyVersions,
      checks: selected.evaluated.budgetChecks,
      rateLimits: selected.evaluated.rateLimitChecks,
      holdExpiresAt: holdExpiryOf(built.authorization.validBefore),
      audit: [
        {
          orgId: agent.orgId,
          actor: { type: 'operator', id: params.approvedBy.apiKeyId },
          action: 'payment.approved',
          subject: { type: 'payment', id: params.paymentId },
          data: requirementData,
          requestId: params.requestId,
        },
        {
          orgId: agent.orgId,
          actor: { type: 'operator', id: params.approvedBy.apiKeyId },
          action: 'hold.reserved',
          subject: { type: 'hold', id: holdId },
          data: {
            agentId: agent.agentId,
            paymentId: params.paymentId,
            network: requirement.network,
            asset,
            amountAtomic: requirement.amountAtomic.toString(),
          },
          requestId: params.requestId,
        },
      ],
    });
    switch (begun.outcome) {
      case 'claim_lost':
        return { kind: 'claim_lost' };
      case 'agent_frozen':
        throw new AgentFrozenError(agent.agentId);
      case 'policy_changed':
        throw new PolicyChangedError(agent.agentId);
      case 'budget_exceeded':
      case 'rate_limit_exceeded':
        return { kind: 'denied', decision: deniedByLedger(selected.decision, begun) };
      case 'reserved':
        break;
    }
    try {
      assertWithinBudgets({ holdId, selected, standings: begun.standings });
      await this.sign({ ...context, built });
      return { kind: 'authorized' };
    } catch (error: unknown) {
      await this.fail({ ...context, holdId, error });
      throw error;
    }
  }

  private authorizationFor(params: { selected: SelectedRequirement; payer: `0x${string}`; now: Date }) {
    return mapX402Errors(() =>
      buildTransferAuthorization({
        requirement: params.selected.requirement,
        from: params.payer,
        nowSeconds: BigInt(Math.floor(params.now.getTime() / 1000)),
        nonce: randomNonce(),
        validAfterSkewSeconds: VALID_AFTER_SKEW_SECONDS,
        validBeforeCapSeconds: VALID_BEFORE_CAP_SECONDS,
      }),
    );
  }

  /**
   * Signs the reserved payment and stores the answer. Refuses past `AUTHORIZE_DEADLINE_MS`, and
   * answers `payment_failed` when the stuck-payment sweeper failed the payment meanwhile: a
   * signature is only handed out for a payment whose hold still backs it.
   */
  private async sign(
    params: PaymentContext & { built: ReturnType<PaymentAuthorizerService['authorizationFor']> },
  ): Promise<string> {
    const { built, agent } = params;
    const signer = await this.wallets.openSigner({
      orgId: agent.orgId,
      agentId: agent.agentId,
      address: built.authorization.from,
    });
    // The authorization names `from`; a wallet replaced since it was read could never settle it.
    if (signer.address.toLowerCase() !== built.authorization.from.toLowerCase()) {
      throw new Error(`The wallet of agent ${agent.agentId} changed while paying.`);
    }
    const signature = await signer.signTypedData(built.typedData);
    const body = await this.responseOf({ ...params, authorization: built.authorization, signature });
    if (Date.now() - params.now.getTime() > AUTHORIZE_DEADLINE_MS)
      throw new PaymentFailedError(params.paymentId);
    const finished = await this.finish({
      ...params,
      status: 'authorized',
      decision: params.selected.decision,
      body,
      action: 'payment.authorized',
    });
    if (!finished) throw new PaymentFailedError(params.paymentId);
    return body;
  }

  /** The x402 payload and the header carrying it. */
  private payloadOf(
    params: PaymentContext & {
      authorization: AuthorizedPaymentView['authorization'] & {
        from: `0x${string}`;
        to: `0x${string}`;
        nonce: `0x${string}`;
      };
      signature: `0x${string}`;
    },
  ) {
    const declaration = paymentIdentifierOf(params.paymentRequired);
    return mapX402Errors(() => {
      const built = buildPaymentPayload({
        paymentRequired: params.paymentRequired,
        requirement: params.selected.requirement,
        authorization: params.authorization,
        signature: params.signature,
        // A seller that asks for an identifier without naming one gets one derived from the payment
        // id, never the agent's idempotency key (the agent's to keep).
        ...(declaration === null
          ? {}
          : { paymentIdentifier: declaration.id ?? `pay_${params.paymentId.replaceAll('-', '')}` }),
      });
      return { payload: built, header: encodePaymentHeader(built) };
    });
  }

  private async responseOf(
    params: PaymentContext & {
      authorization: AuthorizedPaymentView['authorization'] & {
        from: `0x${string}`;
        to: `0x${string}`;
        nonce: `0x${string}`;
      };
      signature: `0x${string}`;
    },
  ): Promise<string> {
    const { selected, authorization } = params;
    const requirement = selected.requirement;
    const header = this.payloadOf(params);
    const receipt = await this.receipts.sign({
      claims: {
        sub: params.paymentId,
        jti: params.paymentId,
        payment: {
          orgId: params.agent.orgId,
          agentId: params.agent.agentId,
          payer: authorization.from,
          payTo: requirement.payToAddress,
          amount: requirement.amountAtomic.toString(),
          asset: requirement.assetAddress,
          network: requirement.network,
          resourceUrl: params.url,
          method: params.method,
          nonce: authorization.nonce,
          // An operator-approved payment keeps the outcome that held it, as the claim documents.
          decision: params.approvedBy === null ? 'allow' : 'hold_for_approval',
        },
      },
      // Valid as long as the authorization it describes: a seller verifying offline must accept the
      // receipt for as long as the header can be presented (both are capped at an hour).
      lifetimeSeconds: Math.min(
        RECEIPT_LIFETIME_MAX_SECONDS,
        Math.max(1, Number(authorization.validBefore) - Math.floor(params.now.getTime() / 1_000)),
      ),
      // Issued at the decision time the lifetime is counted from, so `exp` is `validBefore` exactly
      // even when signing crosses a second boundary.
      now: params.now,
    });
    const view: AuthorizedPaymentView = {
      paymentId: params.paymentId,
      status: 'authorized',
      idempotencyKey: params.idempotencyKey,
      header: { name: header.header.name, value: header.header.value },
      payload: header.payload,
      decision: selected.decision,
      receipt,
      authorization: { ...authorization },
      requirement: {
        network: requirement.network,
        asset: requirement.assetAddress,
        payTo: requirement.payToAddress,
        amount: requirement.amountAtomic.toString(),
      },
    };
    return JSON.stringify(view);
  }

  /**
   * Moves an `authorizing` payment to its final state, with its audit event, in one statement.
   * False when it had already left `authorizing` (the stuck-payment sweeper failed it).
   */
  private async finish(
    params: PaymentContext & {
      status: 'authorized' | 'denied' | 'failed';
      decision: DecisionView;
      body?: string;
      action: string;
      reason?: string;
    },
  ): Promise<boolean> {
    const requirement = params.selected.requirement;
    const event: AppendAuditEventParams = {
      orgId: params.agent.orgId,
      actor:
        params.approvedBy === null
          ? { type: 'agent', id: params.agent.agentId }
          : { type: 'operator', id: params.approvedBy.apiKeyId },
      action: params.action,
      subject: { type: 'payment', id: params.paymentId },
      data: {
        agentId: params.agent.agentId,
        idempotencyKey: params.idempotencyKey,
        resourceUrl: params.url,
        method: params.method,
        network: requirement.network,
        asset: requirement.assetAddress,
        payTo: requirement.payToAddress,
        amountAtomic: requirement.amountAtomic.toString(),
        outcome: params.decision.outcome,
        ...(params.decision.reason === null ? {} : { reason: params.decision.reason }),
        ...(params.reason === undefined ? {} : { failure: params.reason }),
      },
      requestId: params.requestId,
    };
    return this.payments.finish({
      paymentId: params.paymentId,
      status: params.status,
      decision: params.decision,
      response: params.body ?? null,
      responseStatus: params.body === undefined ? null : 201,
      audit: [event],
    });
  }

  /**
   * Undoes a started purchase: marks the payment failed, then voids its hold. The order matters:
   * the failure is recorded only while the payment is still `authorizing`, so a payment whose
   * final update committed (its answer lost on the way back) or that the sweeper already failed
   * keeps its hold as it is; voiding first would release the budget of an authorized payment.
   */
  private async fail(params: PaymentContext & { holdId: string; error: unknown }): Promise<void> {
    let failed: boolean;
    try {
      failed = await this.finish({
        ...params,
        status: 'failed',
        decision: params.selected.decision,
        action: 'payment.failed',
        reason: errorCodeOf(params.error),
      });
    } catch (cleanupError: unknown) {
      this.logger.error(
        { err: toLoggableError(cleanupError), paymentId: params.paymentId },
        'could not mark a failed payment failed; the stuck-payment sweeper will',
      );
      return;
    }
    if (!failed) {
      this.logger.warn(
        { paymentId: params.paymentId },
        'a failed payment had already left authorizing; its hold is left as it is',
      );
      return;
    }
    try {
      await this.holds.void({ holdId: params.holdId, now: new Date(), reason: AUTHORIZATION_FAILED_REASON });
    } catch (cleanupError: unknown) {
      // The original error is what the caller must see; a hold left pending here still expires.
      this.logger.error(
        { err: toLoggableError(cleanupError), paymentId: params.paymentId },
        'could not void the hold of a failed payment',
      );
    }
  }
}

/**
 * Paired assertion (invariant 1): what the reserve accepted must fit every budget by the numbers it
 * read. The hold is committed by then; the caller's failure path voids it.
 */
function assertWithinBudgets(params: {
  holdId: string;
  selected: SelectedRequirement;
  standings: Standings;
}): void {
  const amountAtomic = params.selected.requirement.amountAtomic;
  const usedByKey = new Map(params.standings.budgets.map((standing) => [standing.key, standing.usedAtomic]));
  const violations = params.selected.evaluated.budgetChecks
    .filter((check) => {
      const usedAtomic = usedByKey.get(check.key);
      return (
        usedAtomic === undefined || !hasRoom({ limitAtomic: check.limitAtomic, usedAtomic, amountAtomic })
      );
    })
    .map((check) => `budget ${check.key} would be overspent`);
  if (violations.length > 0) throw new HoldInvariantViolatedError({ holdId: params.holdId, violations });
}

/** When a hold backing an authorization valid until `validBefore` (unix seconds) may expire. */
function holdExpiryOf(validBefore: string): Date {
  // Past validBefore plus a grace period: a transfer mined just before validBefore is seen late
  // (confirmations, sweep interval, clock drift), and an expired hold can never post.
  return new Date((Number(validBefore) + HOLD_EXPIRY_GRACE_SECONDS) * 1000);
}

function errorCodeOf(error: unknown): string {
  if (typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string') {
    return /^[a-z][a-z0-9_]{0,63}$/.test(error.code) ? error.code : 'internal_error';
  }
  return 'internal_error';
}

/** The selected decision turned into the ledger's denial, with the standings the reserve saw. */
function deniedByLedger(
  decision: DecisionView,
  refusal: { readonly outcome: 'budget_exceeded' | 'rate_limit_exceeded'; readonly standings: Standings },
): DecisionView {
  const budgets = new Map(refusal.standings.budgets.map((standing) => [standing.key, standing]));
  const rateLimits = new Map(refusal.standings.rateLimits.map((standing) => [standing.key, standing]));
  return {
    ...decision,
    outcome: 'deny',
    reason: refusal.outcome,
    budgets: decision.budgets.map((budget) => {
      const standing = budgets.get(budget.key);
      return standing === undefined
        ? budget
        : { ...budget, used: standing.usedAtomic.toString(), remaining: standing.remainingAtomic.toString() };
    }),
    rateLimits: decision.rateLimits.map((limit) => {
      const standing = rateLimits.get(limit.key);
      return standing === undefined
        ? limit
        : { ...limit, used: standing.usedCount, remaining: standing.remainingCount };
    }),
  };
}
