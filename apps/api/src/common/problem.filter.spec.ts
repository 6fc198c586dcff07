// Goal: the problem filter answers persistence failures with 400 or 503 instead of 500, and its
// error log line never carries a URL's path, query or credentials.
import { type ArgumentsHost, Logger } from '@nestjs/common';
import { DriverAdapterError } from '@prisma/driver-adapter-utils';
import { Prisma } from '@proco/persistence';
import { HttpRequestError } from 'viem';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { RpcUnavailableError } from '../networks/networks.errors';
import { ProblemFilter } from './problem.filter';

const SECRET = 'sk-live-123';

interface Answer {
  status?: number;
  headers?: Record<string, string>;
  body?: Record<string, unknown>;
}

function hostFor(answer: Answer): ArgumentsHost {
  const response = {
    headersSent: false,
    status(code: number) {
      answer.status = code;
      return response;
    },
    type() {
      return response;
    },
    setHeader(name: string, value: string) {
      answer.headers = { ...answer.headers, [name]: value };
      return response;
    },
    send(body: string) {
      answer.body = JSON.parse(body) as Record<string, unknown>;
      return response;
    },
  };
  const request = { id: 'request-1', originalUrl: '/v1/agents?name=x' };
  return {
    switchToHttp: () => ({ getRequest: () => request, getResponse: () => response }),
  } as unknown as ArgumentsHost;
}

function render(exception: unknown): Answer {
  const answer: Answer = {};
  new ProblemFilter().catch(exception, hostFor(answer));
  return answer;
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('ProblemFilter', () => {
  it('answers text PostgreSQL refused with 400 validation_failed, and logs nothing', () => {
    const log = vi.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    const error = new Prisma.PrismaClientKnownRequestError('Database error. Code: `22021`', {
      code: 'P2039',
      clientVersion: '7.10.0',
      meta: {
        driverAdapterError: new DriverAdapterError({
          kind: 'postgres',
          originalCode: '22021',
          originalMessage: 'invalid byte sequence for encoding "UTF8": 0x00',
          code: '22021',
          severity: 'ERROR',
          message: 'invalid byte sequence for encoding "UTF8": 0x00',
          detail: undefined,
          column: undefined,
          hint: undefined,
        }),
      },
    });
    expect(render(error)).toMatchObject({ status: 400, body: { code: 'validation_failed', status: 400 } });
    expect(log).not.toHaveBeenCalled();
  });

  it('answers an unreachable database with 503 service_unavailable', () => {
    vi.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    const error = new Prisma.PrismaClientKnownRequestError("Can't reach database server at db:5432", {
      code: 'P1001',
      clientVersion: '7.10.0',
    });
    expect(render(error)).toMatchObject({
      status: 503,
      body: { code: 'service_unavailable' },
      headers: { 'Retry-After': '5' },
    });
  });

  it('tells when to retry after a chain RPC failure too', () => {
    vi.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    const error = new RpcUnavailableError('eip155:84532', { cause: new Error('connect ECONNREFUSED') });
    expect(render(error)).toMatchObject({
      status: 503,
      body: { code: 'rpc_unavailable' },
      headers: { 'Retry-After': '5' },
    });
  });

  it('logs a 5xx with every URL reduced to scheme and host, causes included', () => {
    const log = vi.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    const rpcUrl = `https://base.example.com/v2/${SECRET}`;
    const error = new Error('faucet failed', {
      cause: new HttpRequestError({ url: rpcUrl, cause: new Error(`fetch ${rpcUrl} failed`) }),
    });
    const answer = render(error);
    expect(answer).toMatchObject({ status: 500, body: { code: 'internal_error' } });
    expect(answer.headers).toBeUndefined();
    expect(log).toHaveBeenCalledTimes(1);
    const logged = JSON.stringify(log.mock.calls[0]);
    expect(logged).not.toContain(SECRET);
    expect(logged).toContain('https://base.example.com');
    expect(logged).toContain('HttpRequestError');
    expect(JSON.stringify(answer.body)).not.toContain('base.example.com');
  });
});
