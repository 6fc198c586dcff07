// Goal: transient conflicts (deadlock, serialization failure) are found wherever Prisma and the pg
// adapter put their codes, retried a bounded number of times, and nothing else is retried.
import { DriverAdapterError } from '@prisma/driver-adapter-utils';
import { describe, expect, it } from 'vitest';
import { Prisma } from './generated/prisma/client';
import {
  errorCodesOf,
  HOLD_WRITE_ATTEMPTS_MAX,
  isTransientConflict,
  withTransientRetry,
} from './transient-retry';

function rawQueryFailure(sqlState: string) {
  return new Prisma.PrismaClientKnownRequestError(`Raw query failed. Code: \`${sqlState}\``, {
    code: 'P2010',
    clientVersion: '7.10.0',
    meta: {
      driverAdapterError: new DriverAdapterError({
        kind: 'postgres',
        originalCode: sqlState,
        originalMessage: 'conflict',
        code: sqlState,
        severity: 'ERROR',
        message: 'conflict',
        detail: undefined,
        column: undefined,
        hint: undefined,
      }),
    },
  });
}

describe('errorCodesOf', () => {
  it('finds the Prisma code and the SQLSTATE under meta.driverAdapterError', () => {
    expect(errorCodesOf(rawQueryFailure('40P01'))).toEqual(new Set(['P2010', '40P01']));
  });

  it('walks causes and survives cycles and non-objects', () => {
    const looped: { code: string; cause?: unknown } = { code: '23505' };
    looped.cause = looped;
    expect(errorCodesOf(new Error('wrapped', { cause: looped }))).toEqual(new Set(['23505']));
    expect(errorCodesOf('text')).toEqual(new Set());
  });
});

describe('withTransientRetry', () => {
  it.each([
    { name: 'deadlock', error: rawQueryFailure('40P01'), transient: true },
    { name: 'serialization failure', error: rawQueryFailure('40001'), transient: true },
    { name: 'Prisma write conflict', error: { code: 'P2034' }, transient: true },
    { name: 'unique violation', error: rawQueryFailure('23505'), transient: false },
    { name: 'plain error', error: new Error('bug'), transient: false },
  ])('$name is transient: $transient', ({ error, transient }) => {
    expect(isTransientConflict(error)).toBe(transient);
  });

  it('retries a transient conflict until it succeeds', async () => {
    let calls = 0;
    const result = await withTransientRetry(async () => {
      calls += 1;
      if (calls < HOLD_WRITE_ATTEMPTS_MAX) throw rawQueryFailure('40P01');
      return 'done';
    });
    expect(result).toBe('done');
    expect(calls).toBe(HOLD_WRITE_ATTEMPTS_MAX);
  });

  it('gives up after the bound, and never retries other errors', async () => {
    let calls = 0;
    await expect(
      withTransientRetry(async () => {
        calls += 1;
        throw rawQueryFailure('40001');
      }),
    ).rejects.toMatchObject({ code: 'P2010' });
    expect(calls).toBe(HOLD_WRITE_ATTEMPTS_MAX);
    calls = 0;
    await expect(
      withTransientRetry(async () => {
        calls += 1;
        throw new Error('bug');
      }),
    ).rejects.toThrow('bug');
    expect(calls).toBe(1);
  });
});
