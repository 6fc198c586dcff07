// Waits for a local transaction to be mined and insists that it succeeded.
import type { Hash, PublicClient, TransactionReceipt } from 'viem';
import { LocalChainError } from './local-chain.errors';

/** Long enough for a few blocks at any sensible --block-time, short enough to fail a stuck script. */
export const LOCAL_RECEIPT_TIMEOUT_MS = 30_000;

export interface WaitForSuccessfulReceiptParams {
  readonly publicClient: PublicClient;
  readonly hash: Hash;
  /** What the transaction does, for the error message. */
  readonly purpose: string;
}

/** Returns the receipt; throws `LocalChainError` (`local_transaction_failed`) on revert or timeout. */
export async function waitForSuccessfulReceipt({
  publicClient,
  hash,
  purpose,
}: WaitForSuccessfulReceiptParams): Promise<TransactionReceipt> {
  let receipt: TransactionReceipt;
  try {
    receipt = await publicClient.waitForTransactionReceipt({ hash, timeout: LOCAL_RECEIPT_TIMEOUT_MS });
  } catch (error: unknown) {
    throw new LocalChainError({
      code: 'local_transaction_failed',
      message: `${purpose}: no receipt for ${hash} within ${LOCAL_RECEIPT_TIMEOUT_MS} ms`,
      cause: error,
    });
  }
  if (receipt.status !== 'success') {
    throw new LocalChainError({ code: 'local_transaction_failed', message: `${purpose}: ${hash} reverted` });
  }
  return receipt;
}
