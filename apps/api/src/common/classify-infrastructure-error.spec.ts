// Goal: persistence failures are told apart from bugs. Each case is built from the real error
// classes, with the codes, meta and messages captured from Prisma 7 on @prisma/adapter-pg,
// PostgreSQL, pg-pool and ioredis (http-errors.test.ts re-checks two of them against a live run).
import { DriverAdapterError } from '@prisma/driver-adapter-utils';
import { Prisma } from '@proco/persistence';
import { MaxRetriesPerRequestError } from 'ioredis/built/errors';
import { describe, expect, it } from 'vitest';
import { classifyInfrastructureError } from './classify-infrastructure-error';

const CLIENT_VERSION = '7.10.0';

function postgresFailure(params: { prismaCode: string; sqlState: string; message: string }) {
  return new Prisma.PrismaClientKnownRequestError(`Database error. Code: \`${params.sqlState}\``, {
    code: params.prismaCode,
    clientVersion: CLIENT_VERSION,
    meta: {
      modelName: 'Agent',
      driverAdapterError: new DriverAdapterError({
        kind: 'postgres',
        originalCode: params.sqlState,
        originalMessage: params.message,
        code: params.sqlState,
        severity: 'ERROR',
        message: params.message,
        detail: undefined,
        column: undefined,
        hint: undefined,
      }),
    },
  });
}

const cases: { name: string; error: unknown; expected: 'client_input' | 'unavailable' | undefined }[] = [
  {
    name: 'NUL in a text column (P2039 wrapping 22021)',
    error: postgresFailure({
      prismaCode: 'P2039',
      sqlState: '22021',
      message: 'invalid byte sequence for encoding "UTF8": 0x00',
    }),
    expected: 'client_input',
  },
  {
    name: 'NUL in a JSON column (P2039 wrapping 22P05)',
    error: postgresFailure({
      prismaCode: 'P2039',
      sqlState: '22P05',
      message: 'unsupported Unicode escape sequence',
    }),
    expected: 'client_input',
  },
  {
    name: 'value too long (P2000, LengthMismatch)',
    error: new Prisma.PrismaClientKnownRequestError('The provided value for the column is too long', {
      code: 'P2000',
      clientVersion: CLIENT_VERSION,
      meta: {
        modelName: 'Agent',
        driverAdapterError: new DriverAdapterError({
          kind: 'LengthMismatch',
          originalCode: '22001',
          originalMessage: 'value too long for type character varying(200)',
        }),
      },
    }),
    expected: 'client_input',
  },
  {
    name: 'connection terminated by an administrator (P2010 wrapping 57P01)',
    error: postgresFailure({
      prismaCode: 'P2010',
      sqlState: '57P01',
      message: 'terminating connection due to administrator command',
    }),
    expected: 'unavailable',
  },
  {
    name: 'server starting up (57P03)',
    error: postgresFailure({
      prismaCode: 'P2010',
      sqlState: '57P03',
      message: 'the database system is starting up',
    }),
    expected: 'unavailable',
  },
  {
    name: 'database unreachable (P1001, DatabaseNotReachable)',
    error: new Prisma.PrismaClientKnownRequestError("Can't reach database server at 127.0.0.1:1", {
      code: 'P1001',
      clientVersion: CLIENT_VERSION,
      meta: {
        driverAdapterError: new DriverAdapterError({
          kind: 'DatabaseNotReachable',
          host: '127.0.0.1',
          port: 1,
        }),
      },
    }),
    expected: 'unavailable',
  },
  {
    name: 'unreachable at initialisation (errorCode P1001)',
    error: new Prisma.PrismaClientInitializationError("Can't reach database server", CLIENT_VERSION, 'P1001'),
    expected: 'unavailable',
  },
  {
    name: 'database timed out (P1002)',
    error: new Prisma.PrismaClientKnownRequestError('The database server timed out', {
      code: 'P1002',
      clientVersion: CLIENT_VERSION,
    }),
    expected: 'unavailable',
  },
  {
    name: 'pool timeout (P2024)',
    error: new Prisma.PrismaClientKnownRequestError('Timed out fetching a new connection', {
      code: 'P2024',
      clientVersion: CLIENT_VERSION,
    }),
    expected: 'unavailable',
  },
  {
    name: 'expired interactive transaction (P2028)',
    error: new Prisma.PrismaClientKnownRequestError(
      'Transaction API error: A commit cannot be executed on an expired transaction.',
      {
        code: 'P2028',
        clientVersion: CLIENT_VERSION,
        meta: { operation: 'commit', timeout: 50, timeTaken: 303 },
      },
    ),
    expected: 'unavailable',
  },
  {
    name: 'pg-pool connection timeout (a plain Error Prisma passes through)',
    error: Object.assign(new Error('timeout exceeded when trying to connect'), {
      clientVersion: CLIENT_VERSION,
    }),
    expected: 'unavailable',
  },
  {
    name: 'connection refused (a Node socket error)',
    error: Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6379'), {
      code: 'ECONNREFUSED',
      errno: -111,
      syscall: 'connect',
    }),
    expected: 'unavailable',
  },
  { name: 'ioredis: connection closed', error: new Error('Connection is closed.'), expected: 'unavailable' },
  {
    name: 'ioredis: reconnecting with the offline queue off',
    error: new Error("Stream isn't writeable and enableOfflineQueue options is false"),
    expected: 'unavailable',
  },
  { name: 'ioredis: command timeout', error: new Error('Command timed out'), expected: 'unavailable' },
  { name: 'ioredis: retries exhausted', error: new MaxRetriesPerRequestError(1), expected: 'unavailable' },
  {
    name: 'a classified error further down a cause chain',
    error: new Error('listing failed', {
      cause: postgresFailure({ prismaCode: 'P2039', sqlState: '22021', message: 'invalid byte sequence' }),
    }),
    expected: 'client_input',
  },
  {
    name: 'unique violation (a bug or a race for the caller to handle, not infrastructure)',
    error: new Prisma.PrismaClientKnownRequestError('Unique constraint failed', {
      code: 'P2002',
      clientVersion: CLIENT_VERSION,
      meta: {
        driverAdapterError: new DriverAdapterError({
          kind: 'UniqueConstraintViolation',
          constraint: { fields: ['name'] },
        }),
      },
    }),
    expected: undefined,
  },
  { name: 'a programming error', error: new TypeError('x is not a function'), expected: undefined },
  { name: 'a thrown string', error: 'ECONNREFUSED', expected: undefined },
];

describe('classifyInfrastructureError', () => {
  it.each(cases)('$name -> $expected', ({ error, expected }) => {
    expect(classifyInfrastructureError(error)).toBe(expected);
  });

  it('ends on a cause cycle', () => {
    const first = new Error('first');
    const second = new Error('second', { cause: first });
    first.cause = second;
    expect(classifyInfrastructureError(first)).toBeUndefined();
  });
});
