import { type Prisma } from '@proco/persistence';
import { type PaymentSummaryView, type PaymentView } from './payments.dto';

/** A payment row as Prisma returns it. */
export type PaymentRow = Prisma.PaymentGetPayload<object>;

/** What `GET /v1/payments/:id` (and an operator's approve or reject) answers for a payment row. */
export function toPaymentView(row: PaymentRow): PaymentView {
  return {
    ...toPaymentSummaryView(row),
    response: row.response === null ? null : (JSON.parse(row.response) as unknown),
  };
}

/** A list item: the view without the stored response (header, payload and receipt). */
export function toPaymentSummaryView(row: PaymentRow): PaymentSummaryView {
  return {
    paymentId: row.id,
    status: row.status,
    idempotencyKey: row.idempotencyKey,
    resourceUrl: row.resourceUrl,
    method: row.method,
    network: row.network,
    asset: row.asset,
    payTo: row.payTo,
    amount: row.amount?.toFixed(0) ?? null,
    nonce: row.nonce,
    decision: row.decision,
    createdAt: row.createdAt.toISOString(),
  };
}
