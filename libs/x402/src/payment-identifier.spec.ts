// Goal: payment identifiers are validated like the reference extension, and a seller's declaration
// is read as the reference client reads it (malformed counts as absent).
import { isValidPaymentId } from '@x402/extensions/payment-identifier';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { isValidPaymentIdentifier, paymentIdentifierOf } from './payment-identifier';

describe('isValidPaymentIdentifier', () => {
  it.each([
    ['16 characters', 'a'.repeat(16), true],
    ['128 characters', 'a'.repeat(128), true],
    ['the reference generator shape', 'pay_7d5d747be160e280504c099d984bcfe0', true],
    ['15 characters', 'a'.repeat(15), false],
    ['129 characters', 'a'.repeat(129), false],
    ['a space', 'pay_0123456789 abcdef', false],
    ['a dot', 'pay.0123456789abcdef', false],
    ['unicode letters', 'päy_0123456789abcdef', false],
    ['a number', 1234567890123456, false],
  ])('%s -> %s', (_scenario, value, valid) => {
    expect(isValidPaymentIdentifier(value)).toBe(valid);
  });

  it('agrees with the reference isValidPaymentId (property)', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.string({ maxLength: 140 }), fc.stringMatching(/^[A-Za-z0-9_-]{10,135}$/)),
        (value) => {
          expect(isValidPaymentIdentifier(value)).toBe(isValidPaymentId(value));
        },
      ),
    );
  });
});

describe('paymentIdentifierOf', () => {
  const declared = (extension: unknown) => ({ extensions: { 'payment-identifier': extension } as never });

  it.each([
    ['no extensions', { extensions: null }, null],
    ['an optional declaration', declared({ info: { required: false } }), { required: false, id: null }],
    [
      'a required declaration',
      declared({ info: { required: true }, schema: {} }),
      { required: true, id: null },
    ],
    [
      'a seller-fixed id',
      declared({ info: { required: true, id: 'pay_0123456789abcdef' } }),
      { required: true, id: 'pay_0123456789abcdef' },
    ],
    ['no info', declared({ schema: {} }), null],
    ['required as a string', declared({ info: { required: 'true' } }), null],
    ['an invalid id', declared({ info: { required: true, id: 'short' } }), null],
    ['a non-object declaration', declared('yes'), null],
  ])('%s', (_scenario, paymentRequired, expected) => {
    expect(paymentIdentifierOf(paymentRequired)).toEqual(expected);
  });
});
