import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import { type Request, type Response } from 'express';
import { DomainError } from './api.errors';
import { classifyInfrastructureError } from './classify-infrastructure-error';
import { ERROR_CATALOG, type ErrorCode, isErrorCode, PROBLEM_TYPE_BASE } from './error-catalog';
import { UnstorableJsonTextError } from './json-body.middleware';
import { toLoggableError } from './loggable-error';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';
/** Seconds a client should wait before retrying a 503 or 429. */
export const RETRY_AFTER_SECONDS = 5;

/** The RFC 9457 document every error response carries, with our stable `code` extension. */
export interface ProblemDocument {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly detail: string;
  readonly code: ErrorCode;
  readonly instance: string;
  readonly requestId?: string;
  readonly [extension: string]: unknown;
}

const STATUS_CODES: Readonly<Record<number, ErrorCode>> = {
  400: 'validation_failed',
  401: 'unauthenticated',
  403: 'forbidden',
  404: 'route_not_found',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  429: 'rate_limited',
  503: 'service_unavailable',
};

/** Errors raised by the JSON body parser before any route runs. */
const BODY_PARSER_CODES: Readonly<Record<string, ErrorCode>> = {
  'entity.too.large': 'payload_too_large',
  'entity.parse.failed': 'malformed_json',
  'encoding.unsupported': 'unsupported_media_type',
  'charset.unsupported': 'unsupported_media_type',
};

/**
 * Renders every error as `application/problem+json`. Known domain errors keep their message;
 * anything unexpected becomes a bare `internal_error` so no internal detail (or secret) leaks.
 */
@Catch()
export class ProblemFilter implements ExceptionFilter {
  private readonly logger = new Logger('ProblemFilter');

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const request = http.getRequest<Request & { id?: unknown }>();
    const response = http.getResponse<Response>();
    const requestId = typeof request.id === 'string' ? request.id : undefined;
    const { code, detail, extensions } = this.describe(exception);
    const entry = ERROR_CATALOG[code];
    if (entry.status >= 500) {
      // Never the raw error: viem and Prisma messages quote RPC and database URLs, which often
      // embed credentials. The sanitised copy keeps name, code, message and stack of each cause.
      this.logger.error({ err: toLoggableError(exception), requestId, code }, 'request failed');
    }
    const problem: ProblemDocument = {
      type: `${PROBLEM_TYPE_BASE}${code}`,
      title: entry.title,
      status: entry.status,
      detail,
      code,
      instance: request.originalUrl.split('?')[0] ?? '/',
      ...(requestId === undefined ? {} : { requestId }),
      ...extensions,
    };
    if (response.headersSent) return;
    // Worth a retry (any unavailable dependency, a rate limit); say when, so well-behaved clients
    // back off instead of hammering.
    if (entry.status === 503 || code === 'rate_limited') {
      response.setHeader('Retry-After', String(RETRY_AFTER_SECONDS));
    }
    response.status(entry.status).type(PROBLEM_CONTENT_TYPE).send(JSON.stringify(problem));
  }

  private describe(exception: unknown): {
    code: ErrorCode;
    detail: string;
    extensions: Record<string, unknown>;
  } {
    if (exception instanceof DomainError && isErrorCode(exception.code)) {
      return { code: exception.code, detail: exception.message, extensions: exception.details() };
    }
    if (exception instanceof UnstorableJsonTextError) {
      return {
        code: 'validation_failed',
        detail: `The request body cannot be stored: ${exception.message}.`,
        extensions: { errors: [{ field: '(body)', message: exception.message }] },
      };
    }
    const bodyParserCode = bodyParserErrorCode(exception);
    if (bodyParserCode !== undefined) {
      return { code: bodyParserCode, detail: ERROR_CATALOG[bodyParserCode].title, extensions: {} };
    }
    if (exception instanceof HttpException) {
      const code = STATUS_CODES[exception.getStatus()] ?? 'internal_error';
      // Nest's own messages ("Cannot GET /x") are safe; anything mapped to 500 stays generic.
      const detail = code === 'internal_error' ? ERROR_CATALOG.internal_error.title : exception.message;
      return { code, detail, extensions: {} };
    }
    // A backstop behind validation: text the database refuses is the client's to fix, and an
    // unreachable or saturated dependency is worth a retry; neither is an internal error.
    const infrastructure = classifyInfrastructureError(exception);
    if (infrastructure === 'client_input') {
      return {
        code: 'validation_failed',
        detail: 'A value cannot be stored (too long, or text with a NUL character or a lone surrogate).',
        extensions: {},
      };
    }
    if (infrastructure === 'unavailable') {
      return {
        code: 'service_unavailable',
        detail: 'A dependency is unavailable; retry later.',
        extensions: {},
      };
    }
    return { code: 'internal_error', detail: 'An unexpected error occurred.', extensions: {} };
  }
}

function bodyParserErrorCode(exception: unknown): ErrorCode | undefined {
  if (typeof exception !== 'object' || exception === null || !('type' in exception)) return undefined;
  const type = exception.type;
  return typeof type === 'string' ? BODY_PARSER_CODES[type] : undefined;
}
