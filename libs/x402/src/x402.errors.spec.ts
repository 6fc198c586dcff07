// Goal: errors carry stable codes and structured fields, and wrapped errors stay findable.
import { describe, expect, it } from 'vitest';

import {
  findX402Error,
  HeaderTooLargeError,
  InvalidPaymentRequiredError,
  RequirementNotPayableError,
  X402Error,
} from './x402.errors';

describe('x402 errors', () => {
  it('finds an X402Error through a cause chain, and stops on cycles', () => {
    const inner = new HeaderTooLargeError({
      code: 'payment_required_too_large',
      lengthChars: 9,
      lengthCharsMax: 8,
    });
    const wrapped = new Error('pay failed', { cause: new Error('decode failed', { cause: inner }) });
    expect(findX402Error(wrapped)).toBe(inner);
    const cyclic = new Error('a');
    cyclic.cause = new Error('b', { cause: cyclic });
    expect(findX402Error(cyclic)).toBeNull();
    expect(findX402Error('not an error')).toBeNull();
  });

  it('keeps codes, names and bounded messages', () => {
    const notPayable = new RequirementNotPayableError({ reason: 'missing_eip712_domain', index: 2 });
    expect(notPayable).toBeInstanceOf(X402Error);
    expect(notPayable.code).toBe('missing_eip712_domain');
    expect(notPayable.name).toBe('RequirementNotPayableError');
    const issues = Array.from({ length: 1000 }, (_, index) => ({
      path: `$.accepts[${index}]`,
      message: 'bad',
    }));
    const invalid = new InvalidPaymentRequiredError({ issues });
    expect(invalid.issues).toHaveLength(1000);
    expect(invalid.message.length).toBeLessThan(300);
  });
});
