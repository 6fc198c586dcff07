import { createHash, randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Injectable } from '@nestjs/common';
import { AuditLogRepository, type PolicyVersions, Prisma, PrismaService } from '@proco/persistence';
import {
  decodePaymentRequired,
  type NormalizedPaymentRequired,
  normalizePaymentRequired,
  paymentIdentifierOf,
} from '@proco/x402';
import { AgentFrozenError } from '../agents/agents.errors';
import { type AgentPrincipal } from '../auth/principal';
import { cursorOf, type Page, pageOf, pastCursor } from '../common/pagination';
import { type DecisionView } from '../policies/decision.view';
import { PoliciesService } from '../policies/policies.service';
import { WalletsService } from '../wallets/wallets.service';
import {
  PaymentAuthorizerService,
  type PaymentOwner,
  type PurchaseParams,
} from './payment-authorizer.service';
import { paymentRequestHash } from './payment-request-hash.util';
import { PaymentSelectionService, type SelectedRequirement } from './payment-selection.service';
import { type PaymentRow, toPaymentSummaryView, toPaymentView } from './payment-view.util';
import {
  type CreatePayment,
  type ListPaymentsQuery,
  type PaymentSummaryView,
  type PaymentView,
} from './payments.dto';
import {
  IdempotencyKeyConflictError,
  IdempotencyKeyInProgressError,
  NoPayableRequirementError,
  PaymentDeniedError,
  PaymentFailedError,
  PaymentNotFoundError,
  PaymentRejectedError,
  PolicyChangedError,
} from './payments.errors';
import {
  IDEMPOTENCY_RETENTION_SECONDS,
  IN_PROGRESS_POLL_INTERVAL_MS,
  IN_PROGRESS_WAIT_MS,
  PURCHASE_ATTEMPTS_MAX,
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
 * One decision of a purchase: an answer to send, a twin's key to replay, stale inputs, or a denial
 * (`confirmed` when the database checked the policy versions it was made under).
 */
type Decided =
  | { readonly kind: 'answered'; readonly status: 201 | 202; readonly body: string }
  | { readonly kind: 'denied'; readonly decision: DecisionView; readonly confirmed: boolean }
  | { readonly kind: 'key_taken' }
  | { readonly kind: 'stale' };

/**
 * Purchases by agents. One idempotency key yields one payment (invariant 4): the key comes from
 * the `Idempotency-Key` header, else from the seller's `payment-identifier` id within the
 * seller's origin, else it is fresh (so a call without either is always a new purchase). The same
 * key with the same request returns the stored response; with a different request, a conflict;
 * while a twin is still authorizing, a bounded wait and then `idempotency_key_in_progress`. A
 * denial is not stored (it had no effect), so the key is decided afresh on the next call.
 *
 * The hot path reads nothing before its one `begin` statement but the credential: the policies
 * and the wallet address come from memory, and the database confirms both (their versions and
 * the address) under the hold locks, answering `stale` when either moved.
 */
@Injectable()
export class PaymentsService {
  constructor(
    private readonly prisma: PrismaService,
    private readonly audit: AuditLogRepository,
    private readonly selection: PaymentSelectionService,
    private readonly authorizer: PaymentAuthorizerService,
    private readonly policies: PoliciesService,
    private readonly wallets: WalletsService,
  ) {}

  /**
   * Decides, reserves and signs one purchase.
   * Errors: x402 decoding codes (400), `validation_failed`, `agent_frozen`, `no_payable_requirement`,
   * `payment_denied`, `policy_changed`, `idempotency_key_conflict`, `idempotency_key_in_progress`,
   * `payment_failed`, `wallet_unavailable`, `receipt_signing_unavailable`.
   */
  async create(params: {
    agent: AgentPrincipal;
    input: CreatePayment;
    idempotencyKey: string | undefined;
    requestId: string | undefined;
  }): Promise<PaymentResponse> {
    const { agent, input } = params;
    const paymentRequired = decodeInput(input);
    const sellerId = paymentIdentifierOf(paymentRequired)?.id ?? null;
    const idempotencyKey =
      params.idempotencyKey ??
      (sellerId === null ? randomUUID() : sellerScopedKey({ url: input.url, id: sellerId }));
    const requestHash = paymentRequestHash({ url: input.url, method: input.method, paymentRequired });
    const common = {
      agent,
      idempotencyKey,
      requestHash,
      url: input.url,
      method: input.method,
      paymentRequired,
    };
    for (let attempt = 1; attempt <= PURCHASE_ATTEMPTS_MAX; attempt += 1) {
      let decided: Decided;
      try {
        decided = await this.decide({ ...common, requestId: params.requestId, fresh: attempt > 1 });
      } catch (error: unknown) {
        // A refusal is only an answer for a new purchase: a key already used keeps its outcome,
        // whatever policy or configuration says now (exactly-once, invariant 4).
        if (!(error instanceof PaymentDeniedError || error instanceof NoPayableRequirementError)) throw error;
        const existing = await this.findByKey(agent, idempotencyKey);
        if (existing === null) throw error;
        return this.replay({ agent, row: existing, requestHash });
      }
      switch (decided.kind) {
        case 'denied': {
          // Remembered documents may deny what the current ones allow (a rule removed since), and
          // no reserve confirmed their versions: such a denial is given only under fresh ones.
          if (!decided.confirmed && attempt === 1) continue;
          const existing = await this.findByKey(agent, idempotencyKey);
          if (existing !== null) return this.replay({ agent, row: existing, requestHash });
          throw new PaymentDeniedError(decided.decision, null);
        }
        case 'answered':
          return { status: decided.status, body: decided.body, idempotencyKey, replayed: false };
        case 'key_taken': {
          // A twin took the key first: answer what it stored.
          const twin = await this.findByKey(agent, idempotencyKey);
          if (twin === null) throw new Error(`Payment under key ${idempotencyKey} vanished.`);
          return this.replay({ agent, row: twin, requestHash });
        }
        case 'stale':
          continue;
      }
    }
    throw new PolicyChangedError(agent.agentId);
  }

  /**
   * One decision of a purchase: each option the optimistic evaluation allows, cheapest first, is
   * tried until one is reserved and signed or held for approval; a budget or rate limit that
   * refuses one option moves on to the next. The first denial when every option is refused.
   */
  private async decide(
    params: Pick<
      PurchaseParams,
      'agent' | 'idempotencyKey' | 'requestHash' | 'url' | 'method' | 'paymentRequired' | 'requestId'
    > & { fresh: boolean },
  ): Promise<Decided> {
    const { agent } = params;
    const [policies, payer] = await Promise.all([
      this.policies.effectivePolicies(agent.orgId, agent.agentId, params.fresh),
      this.wallets.payerAddressOf(agent),
    ]);
    const now = new Date();
    const request = {
      orgId: agent.orgId,
      agentId: agent.agentId,
      url: params.url,
      method: params.method,
      paymentRequired: params.paymentRequired,
      now,
    };
    const options = this.selection.optimisticOptions({ ...request, documents: policies.documents });
    let firstDenial: DecisionView | null = null;
    let confirmed = params.fresh;
    for (const option of options) {
      if (option.decision.outcome === 'deny') {
        firstDenial ??= option.decision;
        continue;
      }
      if (option.decision.outcome === 'hold_for_approval') {
        // Stored for an operator only if real usage agrees: over budget is a denial, not a wait.
        const exact = await this.selection.evaluateExactly({ ...request, requirement: option.requirement });
        // The exact evaluation read the documents afresh (and remembered them): if they are not the
        // ones the other options were decided under, decide everything again on them. Usage can
        // only add denials, so an allow here also means the documents moved.
        if (!sameVersions(exact.versions, policies.versions) || exact.decision.outcome === 'allow') {
          return { kind: 'stale' };
        }
        if (exact.decision.outcome === 'deny') {
          firstDenial ??= exact.decision;
          confirmed = true;
          continue;
        }
        const held = await this.holdForApproval({ ...params, selected: exact, now });
        return held === null ? { kind: 'key_taken' } : { kind: 'answered', status: 202, body: held };
      }
      const result = await this.authorizer.purchase({
        ...params,
        payer,
        selected: option,
        documents: policies.documents,
        policyVersions: policies.versions,
        now,
      });
      switch (result.kind) {
        case 'authorized':
          return { kind: 'answered', status: 201, body: result.body };
        case 'key_taken':
        case 'stale':
          return result;
        case 'denied':
          firstDenial ??= result.decision;
          confirmed = true;
          continue;
      }
    }
    // Every option was refused, and `optimisticOptions` returns at least one.
    return { kind: 'denied', decision: firstDenial as DecisionView, confirmed };
  }

  /** The calling agent's payments, newest first. Errors: `validation_failed` (cursor). */
  async list(agent: AgentPrincipal, query: ListPaymentsQuery): Promise<Page<PaymentSummaryView>> {
    const cursor = cursorOf(query.cursor);
    const rows = await this.prisma.payment.findMany({
      where: {
        orgId: agent.orgId,
        agentId: agent.agentId,
        ...(query.status === undefined ? {} : { status: query.status }),
        ...pastCursor(cursor, 'desc'),
      },
      orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
      take: query.limit + 1,
    });
    return pageOf(rows, query.limit, toPaymentSummaryView);
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
    agent: PaymentOwner;
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
        // A frozen agent queues nothing for operators; the share lock orders a concurrent freeze
        // after this payment.
        const [payer] = await tx.$queryRaw<{ status: string }[]>`
          SELECT "status"::text AS status FROM "agents"
           WHERE "id" = ${agent.agentId}::uuid AND "org_id" = ${agent.orgId}::uuid
             FOR SHARE`;
        if (payer?.status !== 'active') throw new AgentFrozenError(agent.agentId);
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
            requirementIndex: selected.requirement.index,
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

/**
 * The idempotency key of a purchase keyed by the seller's `payment-identifier`: the id within the
 * origin the agent called, hashed to a fixed length. Scoped this way, a seller cannot pick an id
 * that collides with another seller's purchase (a conflict the agent could not resolve).
 */
function sellerScopedKey(params: { url: string; id: string }): string {
  const digest = createHash('sha256')
    .update(`${new URL(params.url).origin}\n${params.id}`, 'utf8')
    .digest();
  return `pi_${digest.toString('base64url')}`;
}

function sameVersions(left: PolicyVersions, right: PolicyVersions): boolean {
  return left.org === right.org && left.agent === right.agent;
}

function storedBody(row: PaymentRow): string {
  if (row.response === null) throw new Error(`Payment ${row.id} is ${row.status} without a stored response.`);
  return row.response;
}
