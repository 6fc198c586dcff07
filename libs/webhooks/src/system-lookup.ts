import { lookup } from 'node:dns/promises';
import { type LookupHost, type ResolvedAddress } from './webhook-target';

/** Addresses of one name considered at most (a real name has a handful). */
export const LOOKUP_ADDRESSES_MAX = 32;

/**
 * The system resolver (`getaddrinfo`, so `/etc/hosts` counts, as it would for a connection) as a
 * `LookupHost`, bounded by `timeoutMs`. A lookup that outlives it is abandoned: `getaddrinfo`
 * cannot be cancelled, but nobody waits for it.
 */
export function createSystemLookup(params: { readonly timeoutMs: number }): LookupHost {
  return async (hostname: string): Promise<readonly ResolvedAddress[]> => {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(
        () => reject(new Error(`DNS lookup timed out after ${params.timeoutMs} ms`)),
        params.timeoutMs,
      );
    });
    try {
      const found = await Promise.race([lookup(hostname, { all: true, verbatim: true }), timeout]);
      return found
        .slice(0, LOOKUP_ADDRESSES_MAX)
        .map((entry) => ({ address: entry.address, family: entry.family === 6 ? 6 : 4 }));
    } finally {
      clearTimeout(timer);
    }
  };
}
