import { type Prisma } from '@proco/persistence';
import { type PaymentView } from './payments.dto';

/** A payment row as Prisma returns it. */
export type PaymentRow = Prisma.PaymentGetPayload<object>;

/** What `GET /v1/payments/:id` (and an operator's approve or reject) answers for a payment row. */
export function toPaymentView(row: PaymentRow): PaymentView {
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
    response: row.response === null ? null : (JSON.parse(row.response) as unknown),
  };
}
