// Goal: the error the problem filter logs keeps name, code, message and stack of each cause, with
// every URL reduced to scheme and host, and the chain bounded.
import { HttpRequestError } from 'viem';
import { describe, expect, it } from 'vitest';
import { LOGGED_CAUSE_DEPTH_MAX, toLoggableError } from './loggable-error';

const SECRET_URL = 'https://base-mainnet.example.com/v2/sk-live-123';

describe('toLoggableError', () => {
  it('redacts the URL a viem error quotes, and keeps no other member of it', () => {
    const error = new HttpRequestError({
      url: SECRET_URL,
      body: { method: 'eth_getBalance', params: [] },
      cause: new Error(`connect ECONNREFUSED for ${SECRET_URL}`),
    });
    const loggable = toLoggableError(error);
    const serialised = JSON.stringify(loggable);
    expect(serialised).not.toContain('sk-live-123');
    expect(serialised).toContain('https://base-mainnet.example.com');
    expect(Object.keys(loggable).sort()).toEqual(['cause', 'message', 'name', 'stack']);
    expect(loggable).toMatchObject({
      name: 'HttpRequestError',
      cause: { name: 'Error', message: 'connect ECONNREFUSED for https://base-mainnet.example.com' },
    });
  });

  it('keeps a string code', () => {
    const error = Object.assign(new Error('refused'), { code: 'ECONNREFUSED' });
    expect(toLoggableError(error)).toMatchObject({ name: 'Error', code: 'ECONNREFUSED', message: 'refused' });
  });

  it('describes a thrown non-error', () => {
    expect(toLoggableError({ url: SECRET_URL })).toEqual({
      name: 'object',
      message: '{"url":"https://base-mainnet.example.com"}',
    });
  });

  it(`stops after ${LOGGED_CAUSE_DEPTH_MAX} causes, even on a cycle`, () => {
    const first = new Error('first');
    const second = new Error('second', { cause: first });
    first.cause = second;
    let loggable: unknown = toLoggableError(first);
    let depth = 0;
    while (typeof loggable === 'object' && loggable !== null && 'cause' in loggable) {
      loggable = loggable.cause;
      depth += 1;
    }
    expect(depth).toBe(LOGGED_CAUSE_DEPTH_MAX + 1);
    expect(loggable).toEqual({ truncated: true });
  });
});
