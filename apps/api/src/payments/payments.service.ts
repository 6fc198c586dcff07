import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Injectable } from '@nestjs/common';
import { AuditLogRepository, Prisma, PrismaService } from '@proco/persistence';
import {
  decodePaymentRequired,
  type NormalizedPaymentRequired,
  normalizePaymentRequired,
  paymentIdentifierOf,
} from '@proco/x402';
import { type AgentPrincipal } from '../auth/principal';
import { type DecisionView } from '../policies/decision.view';
import { activePayerOf } from './active-payer.util';
import { PaymentAuthorizerService } from './payment-authorizer.service';
import { paymentRequestHash } from './payment-request-hash.util';
import { PaymentSelectionService, type SelectedRequirement } from './payment-selection.service';
import { type PaymentRow, toPaymentView } from './payment-view.util';
import { type CreatePayment, type PaymentView } from './payments.dto';
import {
  IdempotencyKeyConflictError,
  IdempotencyKeyInProgressError,
  PaymentDeniedError,
  PaymentFailedError,
  PaymentNotFoundError,
  PaymentRejectedError,
} from './payments.errors';
import {
  IDEMPOTENCY_RETENTION_SECONDS,
  IN_PROGRESS_POLL_INTERVAL_MS,
  IN_PROGRESS_WAIT_MS,
} from './payments.limits';
import { mapX402Errors } from './x402-errors.util';

/** What the controller sends: a status and the exact body text (replays are byte-identical). */
export interface PaymentResponse {
  readonly status: 200 | 201 | 202;
  readonly body: string;
  readonly idempotencyKey: string;
  /** True when the body is a stored response served again. */
  readonly replayed: boolean;
}

const UNIQUE_VIOLATION = 'P2002';

/**
 * Purchases by agents. One idempotency key yields one payment (invariant 4): the key comes from
 * the `Idempotency-Key` header, else from the seller's `payment-identifier` id, else it is fresh
 * (so a call without either is always a new purchase). The same key with the same request returns
 * the stored response; with a different request, a conflict; while a twin is still authorizing,
 * a bounded wait and then `idempotency_key_in_progress`.
 */
@Injectable()
export class PaymentsService {
  constructor(
    private readonly prisma: PrismaService,
    private readonly audit: AuditLogRepository,
    private readonly selection: PaymentSelectionService,
    private readonly authorizer: PaymentAuthorizerService,
  ) {}

  /**
   * Decides, reserves and signs one purchase.
   * Errors: x402 decoding codes (400), `validation_failed`, `agent_frozen`, `no_payable_requirement`,
   * `payment_denied`, `idempotency_key_conflict`, `idempotency_key_in_progress`, `payment_failed`,
   * `wallet_unavailable`, `receipt_signing_unavailable`.
   */
  async create(params: {
    agent: AgentPrincipal;
    input: CreatePayment;
    idempotencyKey: string | undefined;
    requestId: string | undefined;
  }): Promise<PaymentResponse> {
    const { agent, input } = params;
    const paymentRequired = decodeInput(input);
    const idempotencyKey = params.idempotencyKey ?? paymentIdentifierOf(paymentRequired)?.id ?? randomUUID();
    const requestHash = paymentRequestHash({ url: input.url, method: input.method, paymentRequired });
    const existing = await this.findByKey(agent, idempotencyKey);
    if (existing !== null) return this.replay({ agent, row: existing, requestHash });
    const payer = await activePayerOf(this.prisma, agent);
    const now = new Date();
    const selected = await this.selection.select({
      orgId: agent.orgId,
      agentId: agent.agentId,
      url: input.url,
      method: input.method,
      paymentRequired,
      now,
    });
    const common = {
      agent,
      idempotencyKey,
      requestHash,
      url: input.url,
      method: input.method,
      selected,
      now,
    };
    if (selected.evaluated.decision.outcome === 'hold_for_approval') {
      const held = await this.holdForApproval({ ...common, paymentRequired, requestId: params.requestId });
      if (held !== null) return { status: 202, body: held, idempotencyKey, replayed: false };
    } else {
      const result = await this.authorizer.authorize({
        ...common,
        payer,
        paymentId: randomUUID(),
        paymentRequired,
        requestId: params.requestId,
        approvedBy: null,
      });
      if (result.kind === 'authorized')
        return { status: 201, body: result.body, idempotencyKey, replayed: false };
    }
    // A twin took the key between our lookup and our insert: answer what it stored.
    const twin = await this.findByKey(agent, idempotencyKey);
    if (twin === null) throw new Error(`Payment under key ${idempotencyKey} vanished.`);
    return this.replay({ agent, row: twin, requestHash });
  }

  /** One of the calling agent's payments. Errors: `payment_not_found` (also for other agents'). */
  async find(agent: AgentPrincipal, paymentId: string): Promise<PaymentView> {
    const row = await this.prisma.payment.findFirst({
      where: { id: paymentId, orgId: agent.orgId, agentId: agent.agentId },
    });
    if (row === null) throw new PaymentNotFoundError(paymentId);
    return toPaymentView(row);
  }

  private async replay(params: {
    agent: AgentPrincipal;
    row: PaymentRow;
    requestHash: Uint8Array;
  }): Promise<PaymentResponse> {
    let row = params.row;
    if (!Buffer.from(row.requestHash).equals(Buffer.from(params.requestHash))) {
      throw new IdempotencyKeyConflictError();
    }
    const deadline = Date.now() + IN_PROGRESS_WAIT_MS;
    while (row.status === 'authorizing') {
      if (Date.now() >= deadline) throw new IdempotencyKeyInProgressError(row.id);
      await sleep(IN_PROGRESS_POLL_INTERVAL_MS);
      const latest = await this.prisma.payment.findUnique({ where: { id: row.id } });
      if (latest === null) throw new Error(`Payment ${row.id} vanished.`);
      row = latest;
    }
    const replayed = { idempotencyKey: row.idempotencyKey, replayed: true } as const;
    switch (row.status) {
      // After an operator's approval this is the authorized body the approval stored: the agent's
      // replay of its original request is how it picks up the header to retry with.
      case 'authorized':
        return { status: 200, body: storedBody(row), ...replayed };
      case 'pending_approval':
        return { status: 202, body: storedBody(row), ...replayed };
      case 'denied':
        throw new PaymentDeniedError(row.decision as unknown as DecisionView, row.id);
      case 'failed':
        throw new PaymentFailedError(row.id);
      case 'rejected':
        throw new PaymentRejectedError(row.id);
    }
  }

  private findByKey(agent: AgentPrincipal, idempotencyKey: string): Promise<PaymentRow | null> {
    return this.prisma.payment.findUnique({
      where: { agentId_idempotencyKey: { agentId: agent.agentId, idempotencyKey } },
    });
  }

  /**
   * Stores a payment waiting for an operator (no hold, no signature yet) and its 202 body; null
   * when a twin took the key first. The seller's document is kept as text so an approval
   * (`ApprovalsService`) can sign for the same requirement and echo `accepted` byte-for-byte.
   */
  private async holdForApproval(params: {
    agent: AgentPrincipal;
    idempotencyKey: string;
    requestHash: Uint8Array<ArrayBuffer>;
    url: string;
    method: string;
    selected: SelectedRequirement;
    paymentRequired: NormalizedPaymentRequired;
    now: Date;
    requestId: string | undefined;
  }): Promise<string | null> {
    const { agent, selected } = params;
    const paymentId = randomUUID();
    const requirement = {
      network: selected.requirement.network,
      asset: selected.requirement.assetAddress,
      payTo: selected.requirement.payToAddress,
      amount: selected.requirement.amountAtomic.toString(),
    };
    const body = JSON.stringify({
      paymentId,
      status: 'pending_approval',
      idempotencyKey: params.idempotencyKey,
      decision: selected.decision,
      requirement,
    });
    try {
      await this.prisma.$transaction(async (tx) => {
        await tx.payment.create({
          data: {
            id: paymentId,
            orgId: agent.orgId,
            agentId: agent.agentId,
            idempotencyKey: params.idempotencyKey,
            requestHash: params.requestHash,
            status: 'pending_approval',
            resourceUrl: params.url,
            method: params.method,
            ...requirement,
            decision: selected.decision as unknown as Prisma.InputJsonValue,
            response: body,
            responseStatus: 202,
            paymentRequired: JSON.stringify(params.paymentRequired.raw),
            createdAt: params.now,
            expiresAt: new Date(params.now.getTime() + IDEMPOTENCY_RETENTION_SECONDS * 1000),
          },
        });
        await this.audit.append(tx, {
          orgId: agent.orgId,
          actor: { type: 'agent', id: agent.agentId },
          action: 'payment.held_for_approval',
          subject: { type: 'payment', id: paymentId },
          data: { agentId: agent.agentId, ...requirement, reason: selected.decision.reason },
          requestId: params.requestId,
        });
      });
      return body;
    } catch (error: unknown) {
      if (error instanceof Prisma.PrismaClientKnownRequestError && error.code === UNIQUE_VIOLATION)
        return null;
      throw error;
    }
  }
}

function decodeInput(input: CreatePayment): NormalizedPaymentRequired {
  return mapX402Errors(() => {
    if (input.paymentRequiredHeader !== undefined) {
      return decodePaymentRequired({ header: input.paymentRequiredHeader });
    }
    if (input.paymentRequired !== undefined) return normalizePaymentRequired(input.paymentRequired);
    return decodePaymentRequired({ body: input.body });
  });
}

function storedBody(row: PaymentRow): string {
  if (row.response === null) throw new Error(`Payment ${row.id} is ${row.status} without a stored response.`);
  return row.response;
}
