import { Inject, Injectable, Logger } from '@nestjs/common';
import { type HoldStore, type Standings } from '@proco/ledger';
import { AuditLogRepository, Prisma, PrismaService } from '@proco/persistence';
import {
  buildPaymentPayload,
  buildTransferAuthorization,
  encodePaymentHeader,
  type NormalizedPaymentRequired,
  paymentIdentifierOf,
  randomNonce,
} from '@proco/x402';
import { type AgentPrincipal, type OperatorPrincipal } from '../auth/principal';
import { toLoggableError } from '../common/loggable-error';
import { type DecisionView } from '../policies/decision.view';
import { HOLD_STORE } from '../policies/hold-store.provider';
import { ReceiptKeysService } from '../receipts/receipt-keys.service';
import { WalletsService } from '../wallets/wallets.service';
import { holdIdOf } from './payment-request-hash.util';
import { type SelectedRequirement } from './payment-selection.service';
import { type AuthorizedPaymentView, type PayableMethod } from './payments.dto';
import { PaymentDeniedError } from './payments.errors';
import {
  HOLD_EXPIRY_GRACE_SECONDS,
  IDEMPOTENCY_RETENTION_SECONDS,
  VALID_AFTER_SKEW_SECONDS,
  VALID_BEFORE_CAP_SECONDS,
} from './payments.limits';
import { mapX402Errors } from './x402-errors.util';
import { RECEIPT_LIFETIME_MAX_SECONDS } from '@proco/receipts';

/** Whose payment it is: the paying agent, or the owner of a payment an operator approves. */
export type PaymentOwner = Pick<AgentPrincipal, 'orgId' | 'agentId'>;

/** Parameters of `PaymentAuthorizerService.authorize`. */
export interface AuthorizePaymentParams {
  readonly agent: PaymentOwner;
  readonly payer: `0x${string}`;
  readonly paymentId: string;
  readonly idempotencyKey: string;
  readonly requestHash: Uint8Array<ArrayBuffer>;
  readonly url: string;
  readonly method: PayableMethod;
  readonly paymentRequired: NormalizedPaymentRequired;
  readonly selected: SelectedRequirement;
  readonly now: Date;
  readonly requestId: string | undefined;
  /**
   * Null for an agent's own purchase, which inserts the payment under its idempotency key. The
   * operator for an approval: the payment already exists as `pending_approval` and is claimed by
   * a conditional update instead, so concurrent approvals sign at most once.
   */
  readonly approvedBy: OperatorPrincipal | null;
}

/**
 * What `authorize` did: the stored body, or the payment could not be claimed (its key was taken by
 * a twin, or, for an approval, it was no longer `pending_approval`).
 */
export type AuthorizePaymentResult =
  { readonly kind: 'authorized'; readonly body: string } | { readonly kind: 'key_taken' };

const UNIQUE_VIOLATION = 'P2002';
const AUTHORIZATION_FAILED_REASON = 'authorization_failed';

/**
 * The allow path of a purchase, in an order that never leaves half a state: (a) the payment row
 * under its idempotency key, with the nonce and validity fixed; (b) the hold; (c) the EIP-3009
 * signature; (d) the payload, receipt and stored response, committed with its audit event. A
 * failure after (b) voids the hold and marks the payment `failed`.
 */
@Injectable()
export class PaymentAuthorizerService {
  private readonly logger = new Logger(PaymentAuthorizerService.name);

  constructor(
    private readonly prisma: PrismaService,
    private readonly audit: AuditLogRepository,
    private readonly wallets: WalletsService,
    private readonly receipts: ReceiptKeysService,
    @Inject(HOLD_STORE) private readonly holds: HoldStore,
  ) {}

  /**
   * Errors: `payment_denied` (the atomic reserve found no room), `agent_frozen`,
   * `wallet_unavailable`, `receipt_signing_unavailable`, x402 codes.
   */
  async authorize(params: AuthorizePaymentParams): Promise<AuthorizePaymentResult> {
    const { selected, paymentId } = params;
    const nowSeconds = BigInt(Math.floor(params.now.getTime() / 1000));
    const built = mapX402Errors(() =>
      buildTransferAuthorization({
        requirement: selected.requirement,
        from: params.payer,
        nowSeconds,
        nonce: randomNonce(),
        validAfterSkewSeconds: VALID_AFTER_SKEW_SECONDS,
        validBeforeCapSeconds: VALID_BEFORE_CAP_SECONDS,
      }),
    );
    const { authorization } = built;
    const claimed =
      params.approvedBy === null
        ? await this.insertAuthorizing({ ...params, authorization })
        : await this.claimApproved({ ...params, approvedBy: params.approvedBy, authorization });
    if (!claimed) return { kind: 'key_taken' };
    const holdId = holdIdOf(paymentId);
    try {
      const reserved = await this.holds.reserve({
        holdId,
        orgId: params.agent.orgId,
        agentId: params.agent.agentId,
        paymentId,
        network: selected.requirement.network,
        asset: selected.requirement.assetAddress.toLowerCase(),
        amountAtomic: selected.requirement.amountAtomic,
        now: params.now,
        // Past validBefore plus a grace period: a transfer mined just before validBefore is seen
        // late (confirmations, sweep interval, clock drift), and an expired hold can never post.
        expiresAt: new Date((Number(authorization.validBefore) + HOLD_EXPIRY_GRACE_SECONDS) * 1000),
        checks: selected.evaluated.budgetChecks,
        rateLimits: selected.evaluated.rateLimitChecks,
      });
      // A replayed reserve returns the existing hold; only a pending one may back a signature.
      if (reserved.ok && reserved.hold.status !== 'pending') {
        throw new Error(`Hold ${holdId} is ${reserved.hold.status}, not pending; refusing to sign.`);
      }
      if (!reserved.ok) {
        const decision = deniedByLedger({
          decision: selected.decision,
          reason: reserved.reason,
          standings: reserved.standings,
        });
        await this.finish({ ...params, status: 'denied', decision, action: 'payment.denied' });
        throw new PaymentDeniedError(decision, paymentId);
      }
      const signer = await this.wallets.openSigner({
        orgId: params.agent.orgId,
        agentId: params.agent.agentId,
      });
      // The authorization names `from`; a wallet replaced since it was read could never settle it.
      if (signer.address.toLowerCase() !== authorization.from.toLowerCase()) {
        throw new Error(`The wallet of agent ${params.agent.agentId} changed while paying.`);
      }
      const signature = await signer.signTypedData(built.typedData);
      const body = await this.responseOf({ ...params, authorization, signature });
      await this.finish({
        ...params,
        status: 'authorized',
        decision: selected.decision,
        body,
        action: 'payment.authorized',
      });
      return { kind: 'authorized', body };
    } catch (error: unknown) {
      if (!(error instanceof PaymentDeniedError)) await this.fail({ ...params, holdId, error });
      throw error;
    }
  }

  private async insertAuthorizing(
    params: AuthorizePaymentParams & {
      authorization: { nonce: string; validAfter: string; validBefore: string };
    },
  ): Promise<boolean> {
    const { selected, authorization } = params;
    try {
      await this.prisma.payment.create({
        data: {
          id: params.paymentId,
          orgId: params.agent.orgId,
          agentId: params.agent.agentId,
          idempotencyKey: params.idempotencyKey,
          requestHash: params.requestHash,
          status: 'authorizing',
          resourceUrl: params.url,
          method: params.method,
          network: selected.requirement.network,
          asset: selected.requirement.assetAddress,
          payTo: selected.requirement.payToAddress,
          amount: selected.requirement.amountAtomic.toString(),
          nonce: authorization.nonce,
          validAfter: authorization.validAfter,
          validBefore: authorization.validBefore,
          decision: selected.decision as unknown as Prisma.InputJsonValue,
          createdAt: params.now,
          expiresAt: new Date(params.now.getTime() + IDEMPOTENCY_RETENTION_SECONDS * 1000),
        },
      });
      return true;
    } catch (error: unknown) {
      if (error instanceof Prisma.PrismaClientKnownRequestError && error.code === UNIQUE_VIOLATION)
        return false;
      throw error;
    }
  }

  /**
   * Moves a `pending_approval` payment to `authorizing` with its nonce and validity fixed, and
   * audits the approval, in one transaction. The update's condition on the status is what makes
   * an approval happen once: of concurrent approvals, exactly one sees a row to change.
   */
  private async claimApproved(
    params: AuthorizePaymentParams & {
      approvedBy: OperatorPrincipal;
      authorization: { nonce: string; validAfter: string; validBefore: string };
    },
  ): Promise<boolean> {
    const { selected, authorization, approvedBy } = params;
    return this.prisma.$transaction(async (tx) => {
      const claimed = await tx.payment.updateMany({
        where: { id: params.paymentId, orgId: params.agent.orgId, status: 'pending_approval' },
        data: {
          status: 'authorizing',
          nonce: authorization.nonce,
          validAfter: authorization.validAfter,
          validBefore: authorization.validBefore,
          decision: selected.decision as unknown as Prisma.InputJsonValue,
          // The 202 body no longer describes the payment; `finish` stores the final one.
          response: null,
          responseStatus: null,
        },
      });
      if (claimed.count !== 1) return false;
      await this.audit.append(tx, {
        orgId: params.agent.orgId,
        actor: { type: 'operator', id: approvedBy.apiKeyId },
        action: 'payment.approved',
        subject: { type: 'payment', id: params.paymentId },
        data: {
          agentId: params.agent.agentId,
          amountAtomic: selected.requirement.amountAtomic.toString(),
          network: selected.requirement.network,
          asset: selected.requirement.assetAddress,
          payTo: selected.requirement.payToAddress,
        },
        requestId: params.requestId,
      });
      return true;
    });
  }

  private async responseOf(
    params: AuthorizePaymentParams & {
      authorization: AuthorizedPaymentView['authorization'] & {
        from: `0x${string}`;
        to: `0x${string}`;
        nonce: `0x${string}`;
      };
      signature: `0x${string}`;
    },
  ): Promise<string> {
    const { selected, authorization, paymentRequired } = params;
    const requirement = selected.requirement;
    const declaration = paymentIdentifierOf(paymentRequired);
    const header = mapX402Errors(() => {
      const built = buildPaymentPayload({
        paymentRequired,
        requirement,
        authorization,
        signature: params.signature,
        ...(declaration === null ? {} : { paymentIdentifier: declaration.id ?? params.idempotencyKey }),
      });
      return { payload: built, header: encodePaymentHeader(built) };
    });
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

  /** Moves an `authorizing` payment to its final state, with its audit event, in one transaction. */
  private async finish(
    params: AuthorizePaymentParams & {
      status: 'authorized' | 'denied' | 'failed';
      decision: DecisionView;
      body?: string;
      action: string;
      reason?: string;
    },
  ): Promise<void> {
    await this.prisma.$transaction(async (tx) => {
      const updated = await tx.payment.updateMany({
        where: { id: params.paymentId, status: 'authorizing' },
        data: {
          status: params.status,
          decision: params.decision as unknown as Prisma.InputJsonValue,
          ...(params.body === undefined ? {} : { response: params.body, responseStatus: 201 }),
        },
      });
      if (updated.count !== 1) throw new Error(`Payment ${params.paymentId} left authorizing twice.`);
      await this.audit.append(tx, {
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
          network: params.selected.requirement.network,
          asset: params.selected.requirement.assetAddress,
          payTo: params.selected.requirement.payToAddress,
          amountAtomic: params.selected.requirement.amountAtomic.toString(),
          outcome: params.decision.outcome,
          ...(params.decision.reason === null ? {} : { reason: params.decision.reason }),
          ...(params.reason === undefined ? {} : { failure: params.reason }),
        },
        requestId: params.requestId,
      });
    });
  }

  /**
   * Undoes a started purchase: marks the payment failed, then voids its hold. The order matters:
   * the failure is recorded only while the payment is still `authorizing`, so a payment whose
   * final update committed (its answer lost on the way back) or that the sweeper already failed
   * keeps its hold as it is; voiding first would release the budget of an authorized payment.
   */
  private async fail(params: AuthorizePaymentParams & { holdId: string; error: unknown }): Promise<void> {
    try {
      await this.finish({
        ...params,
        status: 'failed',
        decision: params.selected.decision,
        action: 'payment.failed',
        reason: errorCodeOf(params.error),
      });
    } catch (cleanupError: unknown) {
      this.logger.error(
        { err: toLoggableError(cleanupError), paymentId: params.paymentId },
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

function errorCodeOf(error: unknown): string {
  if (typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string') {
    return /^[a-z][a-z0-9_]{0,63}$/.test(error.code) ? error.code : 'internal_error';
  }
  return 'internal_error';
}

/** The selected decision turned into the ledger's denial, with the standings the reserve saw. */
function deniedByLedger(params: {
  decision: DecisionView;
  reason: 'budget_exceeded' | 'rate_limit_exceeded';
  standings: Standings;
}): DecisionView {
  const budgets = new Map(params.standings.budgets.map((standing) => [standing.key, standing]));
  const rateLimits = new Map(params.standings.rateLimits.map((standing) => [standing.key, standing]));
  return {
    ...params.decision,
    outcome: 'deny',
    reason: params.reason,
    budgets: params.decision.budgets.map((budget) => {
      const standing = budgets.get(budget.key);
      return standing === undefined
        ? budget
        : { ...budget, used: standing.usedAtomic.toString(), remaining: standing.remainingAtomic.toString() };
    }),
    rateLimits: params.decision.rateLimits.map((limit) => {
      const standing = rateLimits.get(limit.key);
      return standing === undefined
        ? limit
        : { ...limit, used: standing.usedCount, remaining: standing.remainingCount };
    }),
  };
}
