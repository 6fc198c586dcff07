/** Raised when a bounded operation does not settle in time. */
export class OperationTimeoutError extends Error {
  override readonly name = 'OperationTimeoutError';
  constructor(
    readonly operation: string,
    readonly timeoutMs: number,
  ) {
    super(`${operation} did not finish within ${timeoutMs} ms.`);
  }
}

/**
 * Resolves with `promise`, or rejects with {@link OperationTimeoutError} after `timeoutMs`.
 * The underlying work is not cancelled (a WASM call cannot be), so callers must still release
 * its resources, which is why every caller pairs this with a `finally` that disposes them.
 */
export async function withTimeout<Value>(
  promise: Promise<Value>,
  timeoutMs: number,
  operation: string,
): Promise<Value> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new OperationTimeoutError(operation, timeoutMs)), timeoutMs);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
