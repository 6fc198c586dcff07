import { redactUrls } from './redact-urls';

/** Causes followed below the logged error; deeper chains end in a marker instead. */
export const LOGGED_CAUSE_DEPTH_MAX = 5;

/** What a log line may carry of an error: every text with its URLs reduced to scheme and host. */
export interface LoggableError {
  readonly name: string;
  readonly code?: string;
  readonly message: string;
  readonly stack?: string;
  readonly cause?: LoggableError | { readonly truncated: true };
}

/**
 * A log-safe copy of an error and its cause chain. Only name, code, message and stack are kept,
 * never the error's other members: viem errors carry the RPC URL and request body in fields of
 * their own, and any of them may embed an API key.
 */
export function toLoggableError(error: unknown, depth = 0): LoggableError {
  if (!(error instanceof Error)) {
    return { name: typeof error, message: redactUrls(describeNonError(error)) };
  }
  const code = (error as { code?: unknown }).code;
  const loggable: LoggableError = {
    name: error.name,
    ...(typeof code === 'string' || typeof code === 'number' ? { code: String(code) } : {}),
    message: redactUrls(error.message),
    ...(error.stack === undefined ? {} : { stack: redactUrls(error.stack) }),
  };
  if (error.cause === undefined) return loggable;
  if (depth >= LOGGED_CAUSE_DEPTH_MAX) return { ...loggable, cause: { truncated: true } };
  return { ...loggable, cause: toLoggableError(error.cause, depth + 1) };
}

function describeNonError(value: unknown): string {
  if (typeof value === 'string') return value;
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    // Circular or BigInt-holding values cannot be serialised; their type is all we log.
    return Object.prototype.toString.call(value);
  }
}
