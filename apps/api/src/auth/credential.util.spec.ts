// Goal: credentials are unguessable, recognisable by kind, and stored only as a digest.
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  CREDENTIAL_VISIBLE_CHARACTERS,
  credentialKindOf,
  digestCredential,
  mintCredential,
} from './credential.util';

describe('mintCredential', () => {
  it.each(['operator', 'agent'] as const)('mints a %s credential that parses back to its kind', (kind) => {
    const credential = mintCredential(kind);
    expect(credentialKindOf(credential.secret)).toBe(kind);
    expect(credential.prefix).toBe(credential.secret.slice(0, CREDENTIAL_VISIBLE_CHARACTERS));
    expect(Buffer.from(credential.digest).toString('hex')).toBe(
      createHash('sha256').update(credential.secret).digest('hex'),
    );
  });

  it('never repeats a secret', () => {
    const secrets = new Set(Array.from({ length: 1_000 }, () => mintCredential('agent').secret));
    expect(secrets.size).toBe(1_000);
  });
});

describe('credentialKindOf', () => {
  it.each([
    ['empty', ''],
    ['unknown kind', `proco_xx_${'A'.repeat(43)}`],
    ['too short', `proco_op_${'A'.repeat(42)}`],
    ['too long', `proco_op_${'A'.repeat(44)}`],
    ['padding', `proco_op_${'A'.repeat(42)}=`],
    ['whitespace', ` proco_op_${'A'.repeat(43)}`],
  ])('rejects %s', (_, secret) => {
    expect(credentialKindOf(secret)).toBeUndefined();
  });

  it('rejects arbitrary strings that were not minted', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 80 }), (text) => {
        fc.pre(!/^proco_(op|ag)_[A-Za-z0-9_-]{43}$/.test(text));
        expect(credentialKindOf(text)).toBeUndefined();
      }),
    );
  });

  it('gives different digests for different secrets', () => {
    const first = mintCredential('operator');
    const second = mintCredential('operator');
    expect(
      Buffer.from(digestCredential(first.secret)).equals(Buffer.from(digestCredential(second.secret))),
    ).toBe(false);
  });
});
