// Host patterns: `api.example.com` matches that host only; `*.example.com` matches any host below
// example.com at any depth (`a.example.com`, `a.b.example.com`) but not `example.com` itself, which
// must be listed on its own. Comparison ignores ASCII case and a trailing dot (`example.com.` is the
// same host as `example.com`; without this a deny list could be bypassed with a trailing dot).
//
// Internationalised names: the WHATWG URL parser turns `bücher.de` into `xn--bcher-kva.de`, so a
// pattern written in Unicode would never match and a deny entry would silently never deny. Patterns
// must therefore be ASCII (the IDNA "xn--" form); the schema refuses Unicode patterns and names the
// form to write instead. IPv6 literals are not supported in patterns.

const LABEL = '[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?';
const HOST_PATTERN_SYNTAX = new RegExp(`^(?:\\*\\.)?${LABEL}(?:\\.${LABEL})*$`, 'i');
const WILDCARD_PREFIX = '*.';
// eslint-disable-next-line no-control-regex -- the range is exactly "not ASCII".
const NON_ASCII = /[^\u0000-\u007f]/;

/** Lower-cases a host and drops one trailing dot, the form every comparison uses. */
export function normalizeHost(host: string): string {
  const lower = host.toLowerCase();
  return lower.endsWith('.') ? lower.slice(0, -1) : lower;
}

/** Why a host pattern is invalid, or `undefined` when it is valid. */
export function hostPatternProblem(pattern: string): string | undefined {
  if (NON_ASCII.test(pattern)) {
    const suggestion = idnaFormOf(pattern);
    return suggestion === undefined
      ? 'must be ASCII; write internationalised names in their IDNA (xn--) form'
      : `must be ASCII; write internationalised names in their IDNA form, here "${suggestion}"`;
  }
  if (!HOST_PATTERN_SYNTAX.test(pattern)) {
    return 'must be a host name like "api.example.com" or a wildcard like "*.example.com"';
  }
  return undefined;
}

/** Parameters of `hostMatches`. */
export interface HostMatchesParams {
  readonly pattern: string;
  /** The request's host, already normalised with `normalizeHost`. */
  readonly host: string;
}

/** Whether a (valid) host pattern matches a normalised host. */
export function hostMatches({ pattern, host }: HostMatchesParams): boolean {
  const normalizedPattern = normalizeHost(pattern);
  if (normalizedPattern.startsWith(WILDCARD_PREFIX)) {
    // Keep the dot of "*.example.com" so that "badexample.com" does not match.
    const suffix = normalizedPattern.slice(1);
    return host.length > suffix.length && host.endsWith(suffix);
  }
  return host === normalizedPattern;
}

function idnaFormOf(pattern: string): string | undefined {
  const wildcard = pattern.startsWith(WILDCARD_PREFIX);
  const name = wildcard ? pattern.slice(WILDCARD_PREFIX.length) : pattern;
  try {
    const host = new URL(`http://${name}/`).hostname;
    return wildcard ? `${WILDCARD_PREFIX}${host}` : host;
  } catch {
    return undefined;
  }
}
