// Goal: a delivery signed with an endpoint's secret verifies with that secret, and nothing else
// does: a changed body byte, another secret, a timestamp outside the tolerance, or a malformed
// header all fail with their own reason. Property tests cover arbitrary bodies and secrets.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { mintWebhookSecret } from './webhook-secret';
import {
  verifyWebhookSignature,
  WEBHOOK_SIGNATURE_TOLERANCE_SECONDS,
  webhookSignatureHeaderOf,
  webhookSignatureOf,
} from './webhook-signature';

const NOW = 1_790_000_000;
const SECRET = 'whsec_ZGV0ZXJtaW5pc3RpYy10ZXN0LXNlY3JldC0wMDAwMDAwMDAw';
const BODY = '{"id":"evt_1","type":"payment.signed","data":{"paymentId":"p"}}';

function signed(overrides: { secrets?: string[]; timestampSeconds?: number; body?: string } = {}) {
  return webhookSignatureHeaderOf({
    secrets: overrides.secrets ?? [SECRET],
    timestampSeconds: overrides.timestampSeconds ?? NOW,
    body: overrides.body ?? BODY,
  });
}

describe('webhookSignatureOf', () => {
  it('is HMAC-SHA256 over "<t>.<body>", as the README tells receivers', async () => {
    const { createHmac } = await import('node:crypto');
    const expected = createHmac('sha256', SECRET).update(`${NOW}.${BODY}`).digest('hex');
    expect(webhookSignatureOf({ secret: SECRET, timestampSeconds: NOW, body: BODY })).toBe(expected);
    expect(signed()).toBe(`t=${NOW},v1=${expected}`);
  });

  it('signs bytes and the same text alike', () => {
    const text = webhookSignatureOf({ secret: SECRET, timestampSeconds: NOW, body: 'é' });
    const bytes = webhookSignatureOf({ secret: SECRET, timestampSeconds: NOW, body: Buffer.from('é') });
    expect(bytes).toBe(text);
  });

  it('refuses to sign with no secret or too many', () => {
    expect(() => signed({ secrets: [] })).toThrow(RangeError);
    expect(() => signed({ secrets: Array<string>(5).fill(SECRET) })).toThrow(RangeError);
  });
});

describe('verifyWebhookSignature', () => {
  it.each([
    { scenario: 'a fresh signature', header: () => signed(), now: NOW, ok: true },
    { scenario: 'the edge of the tolerance', header: () => signed(), now: NOW + 300, ok: true },
    { scenario: 'a clock slightly behind', header: () => signed(), now: NOW - 300, ok: true },
    { scenario: 'an old request replayed', header: () => signed(), now: NOW + 301, ok: false },
    { scenario: 'a timestamp from the future', header: () => signed(), now: NOW - 301, ok: false },
    {
      scenario: 'the new secret of a rotation, signed beside the old one',
      header: () => signed({ secrets: [mintWebhookSecret(), SECRET] }),
      now: NOW,
      ok: true,
    },
    {
      scenario: 'another secret',
      header: () => signed({ secrets: [mintWebhookSecret()] }),
      now: NOW,
      ok: false,
    },
    { scenario: 'another body', header: () => signed({ body: `${BODY} ` }), now: NOW, ok: false },
  ])('$scenario: ok is $ok', ({ header, now, ok }) => {
    expect(verifyWebhookSignature({ secret: SECRET, header: header(), body: BODY, nowSeconds: now }).ok).toBe(
      ok,
    );
  });

  it('names the reason of each refusal', () => {
    const verify = (header: string, nowSeconds = NOW) =>
      verifyWebhookSignature({ secret: SECRET, header, body: BODY, nowSeconds });
    expect(verify(signed(), NOW + WEBHOOK_SIGNATURE_TOLERANCE_SECONDS + 1)).toEqual({
      ok: false,
      reason: 'timestamp_outside_tolerance',
    });
    expect(verify(signed({ body: 'x' }))).toEqual({ ok: false, reason: 'signature_mismatch' });
    expect(verify(signed())).toEqual({ ok: true, timestampSeconds: NOW });
  });

  it.each([
    '',
    'v1=abc',
    `t=${NOW}`,
    `t=${NOW},v1=`,
    `t=${NOW},v1=${'g'.repeat(64)}`,
    `t=${NOW},v1=${'A'.repeat(64)}`,
    `t=-5,v1=${'a'.repeat(64)}`,
    `t=1.5,v1=${'a'.repeat(64)}`,
    `t=${NOW},t=${NOW},v1=${'a'.repeat(64)}`,
    `t=${NOW},${Array.from({ length: 5 }, () => `v1=${'a'.repeat(64)}`).join(',')}`,
    `t=${NOW},v1=${'a'.repeat(64)},${'x'.repeat(2_000)}`,
    'garbage',
  ])('refuses the malformed header %j', (header) => {
    expect(verifyWebhookSignature({ secret: SECRET, header, body: BODY, nowSeconds: NOW })).toEqual({
      ok: false,
      reason: 'malformed_header',
    });
  });

  it('skips signatures of unknown schemes beside a valid v1', () => {
    const header = `${signed()},v0=deadbeef`;
    expect(verifyWebhookSignature({ secret: SECRET, header, body: BODY, nowSeconds: NOW }).ok).toBe(true);
  });
});

describe('signature properties', () => {
  const secret = fc.string({ minLength: 1, maxLength: 64 });
  const body = fc.uint8Array({ minLength: 0, maxLength: 512 });
  const timestamp = fc.integer({ min: 0, max: 4_000_000_000 });

  it('sign then verify passes, for any secret, body and time', () => {
    fc.assert(
      fc.property(secret, body, timestamp, (key, bytes, seconds) => {
        const header = webhookSignatureHeaderOf({ secrets: [key], timestampSeconds: seconds, body: bytes });
        return verifyWebhookSignature({ secret: key, header, body: bytes, nowSeconds: seconds }).ok;
      }),
    );
  });

  it('fails once any byte of the body changes', () => {
    fc.assert(
      fc.property(
        secret,
        body.filter((bytes) => bytes.length > 0),
        timestamp,
        fc.nat(),
        fc.integer({ min: 1, max: 255 }),
        (key, bytes, seconds, position, delta) => {
          const header = webhookSignatureHeaderOf({ secrets: [key], timestampSeconds: seconds, body: bytes });
          const changed = Uint8Array.from(bytes);
          const index = position % changed.length;
          changed[index] = (changed[index]! + delta) % 256;
          const result = verifyWebhookSignature({ secret: key, header, body: changed, nowSeconds: seconds });
          return !result.ok && result.reason === 'signature_mismatch';
        },
      ),
    );
  });

  it('fails for a timestamp older than the tolerance, however well signed', () => {
    fc.assert(
      fc.property(
        secret,
        body,
        timestamp,
        fc.integer({ min: 1, max: 10_000_000 }),
        (key, bytes, seconds, late) => {
          const header = webhookSignatureHeaderOf({ secrets: [key], timestampSeconds: seconds, body: bytes });
          const nowSeconds = seconds + WEBHOOK_SIGNATURE_TOLERANCE_SECONDS + late;
          const result = verifyWebhookSignature({ secret: key, header, body: bytes, nowSeconds });
          return !result.ok && result.reason === 'timestamp_outside_tolerance';
        },
      ),
    );
  });
});
