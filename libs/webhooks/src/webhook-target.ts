import { type IpAddressClass, classifyIpAddress, isIpAddressClassAllowed } from './ip-address-class';

/** The longest endpoint URL accepted; the column is VARCHAR(2048). */
export const WEBHOOK_URL_LENGTH_MAX = 2_048;

/** Why an endpoint URL (or the address it resolves to) is refused. Stable snake_case codes. */
export type WebhookTargetRefusal =
  | 'invalid_url'
  | 'scheme_not_allowed'
  | 'credentials_not_allowed'
  | 'host_unresolvable'
  | 'address_not_allowed';

/** One address a host name resolves to. */
export interface ResolvedAddress {
  readonly address: string;
  readonly family: 4 | 6;
}

/**
 * Resolves a host name to every address it has (the port webhook delivery and registration
 * depend on; the worker and the API give it the system resolver with a timeout). Rejects when the
 * name cannot be resolved.
 */
export type LookupHost = (hostname: string) => Promise<readonly ResolvedAddress[]>;

export interface WebhookTargetPolicy {
  /** `http:` is accepted besides `https:` (never in production). */
  readonly allowHttp: boolean;
  /** Loopback, private, link-local, unique-local and shared addresses are accepted. */
  readonly allowPrivateHosts: boolean;
}

/** A URL that passed the static checks: scheme, credentials, and an IP literal's class. */
export type ParsedWebhookUrl =
  | { readonly ok: true; readonly url: URL; readonly hostname: string }
  | { readonly ok: false; readonly reason: WebhookTargetRefusal; readonly message: string };

/** A URL whose every address passed, with the addresses to connect to. */
export type WebhookTarget =
  | {
      readonly ok: true;
      readonly url: URL;
      readonly hostname: string;
      readonly addresses: readonly ResolvedAddress[];
    }
  | { readonly ok: false; readonly reason: WebhookTargetRefusal; readonly message: string };

const refuse = (reason: WebhookTargetRefusal, message: string) => ({ ok: false as const, reason, message });

/**
 * The checks that need no network: an absolute `https:` URL (or `http:` when allowed) of at most
 * 2,048 characters, without user name or password (they would sit in logs and headers), whose
 * host, when it is an IP literal or `localhost`, is of an allowed class. The WHATWG parser has
 * already turned numeric host spellings (`0x7f.1`, `2130706433`) into dotted IPv4, so those are
 * judged as the addresses they are.
 */
export function parseWebhookUrl(params: { readonly url: string } & WebhookTargetPolicy): ParsedWebhookUrl {
  if (params.url.length > WEBHOOK_URL_LENGTH_MAX) {
    return refuse('invalid_url', `the URL is longer than ${WEBHOOK_URL_LENGTH_MAX} characters`);
  }
  let url: URL;
  try {
    url = new URL(params.url);
  } catch {
    return refuse('invalid_url', 'not an absolute URL');
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && params.allowHttp)) {
    return refuse('scheme_not_allowed', params.allowHttp ? 'use http or https' : 'use https');
  }
  if (url.username !== '' || url.password !== '') {
    return refuse('credentials_not_allowed', 'the URL must not carry a user name or password');
  }
  const hostname = url.hostname.replace(/^\[|\]$/g, '');
  const literal = classifyHostLiteral(hostname);
  if (literal !== undefined && !isIpAddressClassAllowed({ addressClass: literal, ...params })) {
    return refuse('address_not_allowed', `the host is a ${describeClass(literal)} address`);
  }
  return { ok: true, url, hostname };
}

/**
 * Every check, including the DNS one: each address the host resolves to must be of an allowed
 * class, since a caller connecting later could be handed any of them. Connect only to the
 * returned addresses (never resolve the name again), so a second DNS answer cannot swap a
 * private address in between the check and the connection (DNS rebinding).
 */
export async function resolveWebhookTarget(
  params: { readonly url: string; readonly lookup: LookupHost } & WebhookTargetPolicy,
): Promise<WebhookTarget> {
  const parsed = parseWebhookUrl(params);
  if (!parsed.ok) return parsed;
  const { url, hostname } = parsed;
  if (classifyIpAddress(hostname) !== undefined) {
    return {
      ok: true,
      url,
      hostname,
      addresses: [{ address: hostname, family: hostname.includes(':') ? 6 : 4 }],
    };
  }
  if (isLocalhostName(hostname)) {
    // Allowed private hosts: `localhost` is the loopback interface, whatever DNS would say.
    return { ok: true, url, hostname, addresses: [{ address: '127.0.0.1', family: 4 }] };
  }
  let addresses: readonly ResolvedAddress[];
  try {
    addresses = await params.lookup(hostname);
  } catch {
    return refuse('host_unresolvable', 'the host name does not resolve');
  }
  if (addresses.length === 0) return refuse('host_unresolvable', 'the host name does not resolve');
  for (const resolved of addresses) {
    const addressClass = classifyIpAddress(resolved.address) ?? 'reserved';
    if (!isIpAddressClassAllowed({ addressClass, allowPrivateHosts: params.allowPrivateHosts })) {
      return refuse('address_not_allowed', `the host resolves to a ${describeClass(addressClass)} address`);
    }
  }
  return { ok: true, url, hostname, addresses };
}

/** The class of an IP literal host, `loopback` for `localhost` names, else `undefined`. */
function classifyHostLiteral(hostname: string): IpAddressClass | undefined {
  if (isLocalhostName(hostname)) return 'loopback';
  return classifyIpAddress(hostname);
}

// RFC 6761: `localhost` and every name under it are the loopback interface.
function isLocalhostName(hostname: string): boolean {
  const name = hostname.toLowerCase().replace(/\.$/, '');
  return name === 'localhost' || name.endsWith('.localhost');
}

function describeClass(addressClass: IpAddressClass): string {
  return addressClass.replace('_', '-');
}
