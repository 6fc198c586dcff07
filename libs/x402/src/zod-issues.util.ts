// Renders zod issues as our `X402Issue`s: a JSONPath-like path and zod's message.
import type { z } from 'zod';

import type { X402Issue } from './x402.errors';

/** Converts zod issues under `basePath` (`$`, `$.accepts[2]`) into `X402Issue`s. */
export function toX402Issues(params: { error: z.ZodError; basePath: string }): X402Issue[] {
  return params.error.issues.map((issue) => ({
    path: issue.path.reduce<string>(
      (path, segment) => (typeof segment === 'number' ? `${path}[${segment}]` : `${path}.${String(segment)}`),
      params.basePath,
    ),
    message: issue.message,
  }));
}
