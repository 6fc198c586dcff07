import { setTimeout as sleep } from 'node:timers/promises';
import { Injectable } from '@nestjs/common';
import { AuditLogRepository, type Prisma, PrismaService } from '@proco/persistence';
import { type NormalizedPaymentRequired, normalizePaymentRequired } from '@proco/x402';
import { type OperatorPrincipal } from '../auth/principal';
import { cursorOf, type Page, pageOf, pastCursor } from '../common/pagination';
import { type DecisionView } from '../policies/decision.view';
import { activePayerOf } from './active-payer.util';
import { type ApprovalView, type ListApprovalsQuery } from './approvals.dto';
import { approvedDecisionOf } from './approved-decision.util';
import { PaymentAuthorizerService, type PaymentOwner } from './payment-authorizer.service';
import { PaymentSelectionService } from './payment-selection.service';
import { type PaymentRow, toPaymentView } from './payment-view.util';
import { type PayableMethod, type PaymentView } from './payments.dto';
import {
  ApprovalInProgressError,
  ApprovalNotPendingError,
  PaymentDeniedError,
  PaymentNotFoundError,
} from './payments.errors';
import { IN_PROGRESS_POLL_INTERVAL_MS, IN_PROGRESS_WAIT_MS } from './payments.limits';
import { mapX402Errors } from './x402-errors.util';

/** Parameters of `ApprovalsService.approve` and `ApprovalsService.reject`. */
export interface DecideApprovalParams {
  readonly operator: OperatorPrincipal;
  readonly paymentId: string;
  readonly requestId: string | undefined;
}

type ApprovalRow = Prisma.PaymentGetPayload<{ include: { agent: { select: { name: true } } } }>;

/**
 * Operators' decisions on payments held for approval. Approving re-evaluates policy and budgets at
 * that moment (the approval satisfies only the approval threshold, see `approvedDecisionOf`) and
 * then takes the same path as an allowed purchase (`PaymentAuthorizerService`): reserve, sign,
 * receipt, stored response. Each decision is one conditional update on `status = 'pending_approval'`,
 * so of concurrent decisions exactly one takes effect; the others answer the state it reached, or
 * `approval_not_pending`. Other orgs' payments are `payment_not_found`.
 */
@Injectable()
export class ApprovalsService {
  constructor(
    private readonly prisma: PrismaService,
    private readonly audit: AuditLogRepository,
    private readonly selection: PaymentSelectionService,
    private readonly authorizer: PaymentAuthorizerService,
  ) {}

  /** The org's payments waiting for approval, oldest first. Errors: `validation_failed` (cursor). */
  async list(operator: OperatorPrincipal, query: ListApprovalsQuery): Promise<Page<ApprovalView>> {
    const cursor = cursorOf(query.cursor);
    const rows = await this.prisma.payment.findMany({
      where: { orgId: operator.orgId, status: 'pending_approval', ...pastCursor(cursor, 'asc') },
      include: { agent: { select: { name: true } } },
      orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
      take: query.limit + 1,
    });
    return pageOf(rows, query.limit, toApprovalView);
  }

  /**
   * Approves a held payment: re-evaluates it now, then reserves, signs and stores the authorized
   * response the agent's replay and `GET /v1/payments/:id` return.
   * Errors: `payment_not_found`, `approval_not_pending`, `payment_denied` (a rule or budget denies
   * it now; the payment becomes `denied`), `agent_frozen`, `no_payable_requirement`,
   * `wallet_unavailable`, `receipt_signing_unavailable`.
   */
  async approve(params: DecideApprovalParams): Promise<PaymentView> {
    const row = await this.findInOrg(params);
    if (row.status !== 'pending_approval') return this.settled({ ...params, wanted: 'authorized' });
    const owner: PaymentOwner = { orgId: row.orgId, agentId: row.agentId };
    const payer = await activePayerOf(this.prisma, owner);
    const paymentRequired = storedPaymentRequired(row);
    const now = new Date();
    const selected = await this.selection.reevaluate({
      orgId: row.orgId,
      agentId: row.agentId,
      url: row.resourceUrl,
      method: row.method,
      paymentRequired,
      now,
      chosen: {
        index: row.requirementIndex,
        network: requiredColumn(row, row.network),
        asset: requiredColumn(row, row.asset),
        payTo: requiredColumn(row, row.payTo),
        amountAtomic: BigInt(requiredColumn(row, row.amount).toFixed(0)),
      },
    });
    if (selected.decision.outcome === 'deny') {
      if (await this.recordDenial({ ...params, row, decision: selected.decision })) {
        throw new PaymentDeniedError(selected.decision, row.id);
      }
      // A concurrent decision got there first: answer the state it reached.
      return this.settled({ ...params, wanted: 'authorized' });
    }
    const result = await this.authorizer.authorizeApproved({
      agent: owner,
      payer,
      paymentId: row.id,
      idempotencyKey: row.idempotencyKey,
      url: row.resourceUrl,
      method: row.method as PayableMethod,
      paymentRequired,
      selected: { ...selected, decision: approvedDecisionOf(selected.decision) },
      policyVersions: selected.versions,
      now,
      requestId: params.requestId,
      approvedBy: params.operator,
    });
    if (result.kind === 'denied') {
      // The budget or rate limit had no room when the hold was taken: nothing was reserved.
      if (await this.recordDenial({ ...params, row, decision: result.decision })) {
        throw new PaymentDeniedError(result.decision, row.id);
      }
      return this.settled({ ...params, wanted: 'authorized' });
    }
    // Authorized by this call, or (the claim lost) by a concurrent approval: read what it reached.
    return this.settled({ ...params, wanted: 'authorized' });
  }

  /**
   * Rejects a held payment: nothing is reserved or signed, and the agent's replay answers
   * `payment_rejected`. Errors: `payment_not_found`, `approval_not_pending`.
   */
  async reject(params: DecideApprovalParams): Promise<PaymentView> {
    const row = await this.findInOrg(params);
    if (row.status !== 'pending_approval') return this.settled({ ...params, wanted: 'rejected' });
    await this.prisma.$transaction(async (tx) => {
      const rejected = await tx.payment.updateMany({
        where: { id: row.id, orgId: params.operator.orgId, status: 'pending_approval' },
        data: { status: 'rejected', response: null, responseStatus: null },
      });
      if (rejected.count !== 1) return;
      await this.audit.append(tx, {
        orgId: row.orgId,
        actor: { type: 'operator', id: params.operator.apiKeyId },
        action: 'payment.rejected',
        subject: { type: 'payment', id: row.id },
        data: { agentId: row.agentId, ...requirementOf(row) },
        requestId: params.requestId,
      });
    });
    return this.settled({ ...params, wanted: 'rejected' });
  }

  /**
   * Records, with its audit event, that the re-evaluation at approval time denied the payment;
   * false when a concurrent decision moved it first.
   */
  private recordDenial(
    params: DecideApprovalParams & { row: PaymentRow; decision: DecisionView },
  ): Promise<boolean> {
    const { row, decision } = params;
    return this.prisma.$transaction(async (tx) => {
      const updated = await tx.payment.updateMany({
        where: { id: row.id, orgId: params.operator.orgId, status: 'pending_approval' },
        data: {
          status: 'denied',
          decision: decision as unknown as Prisma.InputJsonValue,
          response: null,
          responseStatus: null,
        },
      });
      if (updated.count !== 1) return false;
      await this.audit.append(tx, {
        orgId: row.orgId,
        actor: { type: 'operator', id: params.operator.apiKeyId },
        action: 'payment.approval_denied',
        subject: { type: 'payment', id: row.id },
        data: { agentId: row.agentId, ...requirementOf(row), reason: decision.reason },
        requestId: params.requestId,
      });
      return true;
    });
  }

  private async findInOrg(params: DecideApprovalParams): Promise<PaymentRow> {
    const row = await this.prisma.payment.findFirst({
      where: { id: params.paymentId, orgId: params.operator.orgId },
    });
    if (row === null) throw new PaymentNotFoundError(params.paymentId);
    return row;
  }

  /**
   * The payment once no decision is in flight: its view when it reached `wanted` (a repeated or
   * concurrent identical decision), else `approval_not_pending`. Waits a bounded time while a
   * concurrent approval is still `authorizing`.
   */
  private async settled(
    params: DecideApprovalParams & { wanted: 'authorized' | 'rejected' },
  ): Promise<PaymentView> {
    const deadline = Date.now() + IN_PROGRESS_WAIT_MS;
    let row = await this.findInOrg(params);
    while (row.status === 'authorizing' && Date.now() < deadline) {
      await sleep(IN_PROGRESS_POLL_INTERVAL_MS);
      row = await this.findInOrg(params);
    }
    // A concurrent approval still signing is not a refusal: the caller can ask again shortly.
    if (row.status === 'authorizing') throw new ApprovalInProgressError(row.id);
    if (row.status !== params.wanted) throw new ApprovalNotPendingError(row.id, row.status);
    return toPaymentView(row);
  }
}

function toApprovalView(row: ApprovalRow): ApprovalView {
  const decision = row.decision as { reason?: unknown; rule?: unknown } | null;
  return {
    paymentId: row.id,
    agent: { id: row.agentId, name: row.agent.name },
    idempotencyKey: row.idempotencyKey,
    resourceUrl: row.resourceUrl,
    method: row.method,
    payTo: row.payTo,
    network: row.network,
    asset: row.asset,
    amount: row.amount?.toFixed(0) ?? null,
    reason: typeof decision?.reason === 'string' ? decision.reason : null,
    rule: decision?.rule ?? null,
    decision: row.decision,
    createdAt: row.createdAt.toISOString(),
  };
}

function requirementOf(row: PaymentRow): Record<string, string | null> {
  return {
    network: row.network,
    asset: row.asset,
    payTo: row.payTo,
    amountAtomic: row.amount?.toFixed(0) ?? null,
  };
}

/** The seller's document stored with a held payment, decoded exactly as the agent's was. */
function storedPaymentRequired(row: PaymentRow): NormalizedPaymentRequired {
  const text = requiredColumn(row, row.paymentRequired);
  return mapX402Errors(() => normalizePaymentRequired(JSON.parse(text) as unknown));
}

/**
 * A column every held payment has (written by `PaymentsService` when it holds one). A held payment
 * without it predates the `payment_approvals` migration and cannot be signed for.
 */
function requiredColumn<Value>(row: PaymentRow, value: Value | null): Value {
  if (value === null) throw new Error(`Held payment ${row.id} lacks what its approval needs.`);
  return value;
}
