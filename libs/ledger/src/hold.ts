// A hold reserves money against budgets for one payment. It starts `pending` and resolves exactly
// once: `posted` (settled, possibly for less, as an `upto` scheme allows), `voided` (settlement
// failed) or `expired` (its authorization lapsed unsettled). Budgets count pending and posted holds.

/** Every status a hold can have, the initial one first. */
export const HOLD_STATUSES = ['pending', 'posted', 'voided', 'expired'] as const;

/** Where a hold is in its life. */
export type HoldStatus = (typeof HOLD_STATUSES)[number];

/** The statuses a hold can end in; each is reachable only from `pending`. */
export type HoldResolution = Exclude<HoldStatus, 'pending'>;

/** Resolution reason recorded on expiry. */
export const HOLD_EXPIRED_REASON = 'authorization_expired';

/** Money reserved for one payment, in the asset's atomic units on one CAIP-2 network. */
export interface Hold {
  readonly id: string;
  readonly orgId: string;
  readonly agentId: string;
  readonly paymentId: string;
  readonly network: string;
  /** Lowercase 0x address of the token. */
  readonly asset: string;
  readonly amountAtomic: bigint;
  /** What settlement moved; set exactly when `status` is `posted`. */
  readonly postedAmountAtomic: bigint | null;
  readonly status: HoldStatus;
  /** The instant the hold counts from in rolling windows. */
  readonly createdAt: Date;
  /** When an unsettled pending hold may expire (its authorization's validBefore). */
  readonly expiresAt: Date;
  /** When it left `pending`; null while pending. */
  readonly resolvedAt: Date | null;
  /** Why it was voided or expired (snake_case); null while pending and when posted. */
  readonly resolutionReason: string | null;
}

/** Parameters of `canResolve`. */
export interface CanResolveParams {
  readonly from: HoldStatus;
  readonly to: HoldStatus;
}

/** Whether `from -> to` is an allowed transition: only `pending` to a resolution. */
export function canResolve({ from, to }: CanResolveParams): boolean {
  return from === 'pending' && to !== 'pending';
}

/**
 * What the hold counts against its budgets: the full amount while pending, the posted amount
 * once posted, nothing once voided or expired (the budget is released).
 */
export function countedAmountOf(hold: Pick<Hold, 'status' | 'amountAtomic' | 'postedAmountAtomic'>): bigint {
  switch (hold.status) {
    case 'pending':
      return hold.amountAtomic;
    case 'posted':
      return hold.postedAmountAtomic ?? 0n;
    case 'voided':
    case 'expired':
      return 0n;
  }
}

/** Whether the hold counts as a payment in rate-limit windows (pending or posted). */
export function countsAsPayment(hold: Pick<Hold, 'status'>): boolean {
  return hold.status === 'pending' || hold.status === 'posted';
}
