import { URL_LENGTH_CHARS_MAX } from '@proco/x402';
import { z } from 'zod';
import { PageQuerySchema } from '../common/pagination';

/** The HTTP methods a payment can be for (the receipt's claim accepts exactly these). */
export const PAYABLE_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;

export type PayableMethod = (typeof PAYABLE_METHODS)[number];

/**
 * `POST /v1/payments`: the call the agent made and what the seller answered, from exactly one
 * source: the decoded v2 document, the raw `PAYMENT-REQUIRED` header value, or a v1 402 body.
 */
export const CreatePaymentSchema = z
  .strictObject({
    url: z
      .string()
      .max(URL_LENGTH_CHARS_MAX)
      .refine((value) => /^https?:\/\//i.test(value) && URL.canParse(value), 'must be an http(s) URL'),
    method: z
      .string()
      .transform((value) => value.toUpperCase())
      .pipe(z.enum(PAYABLE_METHODS)),
    paymentRequired: z.record(z.string(), z.unknown()).optional(),
    paymentRequiredHeader: z.string().min(1).optional(),
    body: z.unknown().optional(),
  })
  .refine(
    (input) =>
      [input.paymentRequired, input.paymentRequiredHeader, input.body].filter((part) => part !== undefined)
        .length === 1,
    {
      message: 'give exactly one of paymentRequired, paymentRequiredHeader and body',
      path: ['paymentRequired'],
    },
  );

export type CreatePayment = z.output<typeof CreatePaymentSchema>;

/** An `Idempotency-Key` header: 16-128 characters of `[A-Za-z0-9_-]` (a payment identifier too). */
export const IdempotencyKeySchema = z
  .string()
  .regex(/^[A-Za-z0-9_-]{16,128}$/, 'must be 16 to 128 characters of A-Z, a-z, 0-9, _ and -')
  .optional();

/** The body of an authorized payment (201, and byte-identical on every replay). */
export interface AuthorizedPaymentView {
  readonly paymentId: string;
  readonly status: 'authorized';
  readonly idempotencyKey: string;
  readonly header: { readonly name: string; readonly value: string };
  readonly payload: unknown;
  readonly decision: unknown;
  readonly receipt: string;
  readonly authorization: {
    readonly from: string;
    readonly to: string;
    readonly value: string;
    readonly validAfter: string;
    readonly validBefore: string;
    readonly nonce: string;
  };
  readonly requirement: {
    readonly network: string;
    readonly asset: string;
    readonly payTo: string;
    readonly amount: string;
  };
}

/** The query of `GET /v1/payments`: a page, optionally of one status only. */
export const ListPaymentsQuerySchema = PageQuerySchema.extend({
  status: z
    .enum(['authorizing', 'authorized', 'denied', 'pending_approval', 'failed', 'rejected'])
    .optional(),
});

export type ListPaymentsQuery = z.output<typeof ListPaymentsQuerySchema>;

/** What `GET /v1/payments/:id` answers. */
export interface PaymentView {
  readonly paymentId: string;
  readonly status: string;
  readonly idempotencyKey: string;
  readonly resourceUrl: string;
  readonly method: string;
  readonly network: string | null;
  readonly asset: string | null;
  readonly payTo: string | null;
  readonly amount: string | null;
  readonly nonce: string | null;
  readonly decision: unknown;
  readonly createdAt: string;
  /** The stored response body of the purchase, when it has one (authorized or held). */
  readonly response: unknown;
}

/** One item of `GET /v1/payments`: the payment without its stored response. */
export type PaymentSummaryView = Omit<PaymentView, 'response'>;
