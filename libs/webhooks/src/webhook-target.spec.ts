// Goal: endpoint URLs are refused before anything is sent when their scheme, credentials or host
// would let a webhook reach the service's own network (loopback, RFC 1918, link-local and cloud
// metadata, unique-local IPv6), whether the host is written as an address, as `localhost`, in a
// numeric spelling, or as a name that resolves there, even when only one of its addresses does.
import { describe, expect, it } from 'vitest';

import {
  type LookupHost,
  parseWebhookUrl,
  type ResolvedAddress,
  resolveWebhookTarget,
  type WebhookTargetPolicy,
} from './webhook-target';

const STRICT: WebhookTargetPolicy = { allowHttp: false, allowPrivateHosts: false };
const DEVELOPMENT: WebhookTargetPolicy = { allowHttp: true, allowPrivateHosts: false };
const LOCAL: WebhookTargetPolicy = { allowHttp: true, allowPrivateHosts: true };

const answers = (...addresses: string[]): readonly ResolvedAddress[] =>
  addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));

/** A resolver that knows a few names and counts its calls. */
function fakeLookup(known: Record<string, readonly ResolvedAddress[]>): LookupHost & { calls: string[] } {
  const calls: string[] = [];
  const lookup = async (hostname: string) => {
    calls.push(hostname);
    const found = known[hostname];
    if (found === undefined) throw new Error(`ENOTFOUND ${hostname}`);
    return found;
  };
  return Object.assign(lookup, { calls });
}

const lookup = fakeLookup({
  'hooks.example.com': answers('93.184.216.34', '2606:2800:220:1:248:1893:25c8:1946'),
  'internal.example.com': answers('10.1.2.3'),
  'metadata.example.com': answers('169.254.169.254'),
  'mixed.example.com': answers('93.184.216.34', '127.0.0.1'),
  'v6-local.example.com': answers('fd00::5'),
  'nothing.example.com': [],
});

describe('parseWebhookUrl', () => {
  it.each([
    { url: 'https://hooks.example.com/proco', policy: STRICT, reason: null },
    { url: 'https://hooks.example.com:8443/a?b=c', policy: STRICT, reason: null },
    { url: 'http://hooks.example.com/proco', policy: STRICT, reason: 'scheme_not_allowed' },
    { url: 'http://hooks.example.com/proco', policy: DEVELOPMENT, reason: null },
    { url: 'ftp://hooks.example.com/', policy: LOCAL, reason: 'scheme_not_allowed' },
    { url: 'file:///etc/passwd', policy: LOCAL, reason: 'scheme_not_allowed' },
    { url: 'hooks.example.com/proco', policy: STRICT, reason: 'invalid_url' },
    { url: `https://hooks.example.com/${'a'.repeat(2_048)}`, policy: STRICT, reason: 'invalid_url' },
    { url: 'https://user:pass@hooks.example.com/', policy: STRICT, reason: 'credentials_not_allowed' },
    { url: 'https://token@hooks.example.com/', policy: STRICT, reason: 'credentials_not_allowed' },
    { url: 'https://127.0.0.1/', policy: STRICT, reason: 'address_not_allowed' },
    { url: 'https://10.0.0.8/', policy: STRICT, reason: 'address_not_allowed' },
    { url: 'https://169.254.169.254/latest/meta-data/', policy: STRICT, reason: 'address_not_allowed' },
    { url: 'https://[::1]/', policy: STRICT, reason: 'address_not_allowed' },
    { url: 'https://[fd00::1]/', policy: STRICT, reason: 'address_not_allowed' },
    { url: 'https://[::ffff:127.0.0.1]/', policy: STRICT, reason: 'address_not_allowed' },
    { url: 'https://0.0.0.0/', policy: LOCAL, reason: 'address_not_allowed' },
    { url: 'https://localhost/', policy: STRICT, reason: 'address_not_allowed' },
    { url: 'https://LOCALHOST./', policy: STRICT, reason: 'address_not_allowed' },
    { url: 'https://api.localhost/', policy: STRICT, reason: 'address_not_allowed' },
    // Numeric spellings the WHATWG parser turns into 127.0.0.1.
    { url: 'https://2130706433/', policy: STRICT, reason: 'address_not_allowed' },
    { url: 'https://0x7f.1/', policy: STRICT, reason: 'address_not_allowed' },
    { url: 'https://017700000001/', policy: STRICT, reason: 'address_not_allowed' },
    { url: 'http://127.0.0.1:4000/hook', policy: LOCAL, reason: null },
    { url: 'http://localhost:4000/hook', policy: LOCAL, reason: null },
    { url: 'https://8.8.8.8/hook', policy: STRICT, reason: null },
  ])('$url -> $reason', ({ url, policy, reason }) => {
    const parsed = parseWebhookUrl({ url, ...policy });
    expect(parsed.ok ? null : parsed.reason).toBe(reason);
  });
});

describe('resolveWebhookTarget', () => {
  it('returns every address of a public host, to connect to without resolving again', async () => {
    const target = await resolveWebhookTarget({ url: 'https://hooks.example.com/proco', lookup, ...STRICT });
    expect(target).toMatchObject({
      ok: true,
      hostname: 'hooks.example.com',
      addresses: answers('93.184.216.34', '2606:2800:220:1:248:1893:25c8:1946'),
    });
  });

  it.each([
    ['https://internal.example.com/', 'address_not_allowed'],
    ['https://metadata.example.com/', 'address_not_allowed'],
    ['https://mixed.example.com/', 'address_not_allowed'],
    ['https://v6-local.example.com/', 'address_not_allowed'],
    ['https://nothing.example.com/', 'host_unresolvable'],
    ['https://unknown.example.com/', 'host_unresolvable'],
  ])('refuses %s (%s)', async (url, reason) => {
    const target = await resolveWebhookTarget({ url, lookup, ...STRICT });
    expect(target).toMatchObject({ ok: false, reason });
  });

  it('accepts private targets when configured, except unroutable ones', async () => {
    expect((await resolveWebhookTarget({ url: 'https://internal.example.com/', lookup, ...LOCAL })).ok).toBe(
      true,
    );
    const local = await resolveWebhookTarget({ url: 'http://localhost:9/x', lookup, ...LOCAL });
    expect(local).toMatchObject({ ok: true, addresses: answers('127.0.0.1') });
    expect((await resolveWebhookTarget({ url: 'http://0.0.0.0/', lookup, ...LOCAL })).ok).toBe(false);
  });

  it('never asks DNS about IP literals or localhost names', async () => {
    const counting = fakeLookup({});
    const literal = await resolveWebhookTarget({ url: 'http://[::1]:80/', lookup: counting, ...LOCAL });
    expect(literal).toMatchObject({ ok: true, hostname: '::1', addresses: answers('::1') });
    await resolveWebhookTarget({ url: 'http://localhost/', lookup: counting, ...LOCAL });
    expect(counting.calls).toEqual([]);
  });
});
