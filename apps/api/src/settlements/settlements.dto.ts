import { z } from 'zod';
import { PageQuerySchema } from '../common/pagination';

const addressSchema = z
  .string()
  .regex(/^0x[0-9a-fA-F]{40}$/, 'a 20-byte hex address')
  .transform((value) => value.toLowerCase());
const hashSchema = z
  .string()
  .regex(/^0x[0-9a-fA-F]{64}$/, 'a 32-byte hex value')
  .transform((value) => value.toLowerCase());

/**
 * Filters of `GET /v1/settlements`, all optional and combined with AND: by status, network,
 * asset, payer, payee, authorization nonce (with `payer`, one authorization), or transaction hash
 * (the relayer's transaction carrying it, or the one that used the authorization).
 */
export const ListSettlementsQuerySchema = PageQuerySchema.extend({
  status: z.enum(['queued', 'broadcast', 'confirmed', 'failed', 'unknown']).optional(),
  network: z
    .string()
    .regex(/^eip155:[1-9][0-9]{0,15}$/, 'a CAIP-2 eip155 id')
    .optional(),
  asset: addressSchema.optional(),
  payer: addressSchema.optional(),
  payTo: addressSchema.optional(),
  nonce: hashSchema.optional(),
  transactionHash: hashSchema.optional(),
});

export type ListSettlementsQuery = z.output<typeof ListSettlementsQuerySchema>;

/** The relayer transaction carrying a settlement. */
export interface RelayerTransactionView {
  readonly hash: string;
  /** `pending` until a receipt with enough confirmations; `mined`, `reverted` or `replaced` then. */
  readonly status: string;
  readonly relayerNonce: string;
  readonly blockNumber: string | null;
  readonly broadcastCount: number;
  /** Settlements sharing this transaction (a Multicall3 batch carries several). */
  readonly batchSize: number;
  readonly explorerUrl: string | null;
}

/** One settlement, as `GET /v1/settlements[/:id]` shows it. */
export interface SettlementView {
  readonly id: string;
  /** `queued` -> `broadcast` -> `confirmed` | `failed`; `unknown` while the chain cannot be read. */
  readonly status: string;
  readonly network: string;
  readonly asset: string;
  readonly payer: string;
  readonly payTo: string;
  readonly amount: string;
  readonly nonce: string;
  readonly validAfter: string;
  readonly validBefore: string;
  /** The transaction that used the authorization once confirmed (ours, or another submitter's). */
  readonly transactionHash: string | null;
  readonly transaction: RelayerTransactionView | null;
  readonly errorReason: string | null;
  readonly errorMessage: string | null;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly settledAt: string | null;
}

/** `POST /v1/settlements`: a Proco receipt a seller accepted offline, to settle in the next batch. */
export const SettleReceiptBodySchema = z.strictObject({
  receipt: z.string().min(1).max(8_192).describe('The compact JWS receipt, as the agent presented it'),
});

export type SettleReceiptBody = z.output<typeof SettleReceiptBodySchema>;
