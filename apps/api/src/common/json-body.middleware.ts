import { Injectable, type NestMiddleware } from '@nestjs/common';
import { InjectConfig, type ProcoConfig } from '@proco/config';
import express, { type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import { DomainError } from './api.errors';
import { textProblemOf } from './text.schema';

class UnsupportedMediaTypeError extends DomainError<'unsupported_media_type'> {
  readonly code = 'unsupported_media_type';
}

/**
 * Valid JSON whose text could not be stored. The body parser reports every parse failure as
 * `entity.parse.failed`, but it rethrows this very object, so the problem filter can still answer
 * `validation_failed` with the reason instead of `malformed_json`.
 */
export class UnstorableJsonTextError extends SyntaxError {}

// Only `__proto__` is dangerous in JSON.parse output: copying the object (as a schema does) with
// `result['__proto__'] = …` sets a prototype instead of a key, so the key would vanish silently.
// `constructor` and `prototype` are ordinary own keys there and are allowed.
const PROTOTYPE_KEY = '__proto__';

/**
 * Refuses, anywhere in a body, a `__proto__` key and any key or string value PostgreSQL could not
 * store as sent (a NUL character or a lone surrogate). Refusing here covers every field of every
 * route, including ones whose schema would accept any string.
 */
function rejectUnsafeJson(key: string, value: unknown): unknown {
  if (key === PROTOTYPE_KEY) throw new SyntaxError(`the key "${PROTOTYPE_KEY}" is not allowed`);
  const keyProblem = textProblemOf(key);
  if (keyProblem !== undefined) throw new UnstorableJsonTextError(`a key ${keyProblem}`);
  if (typeof value === 'string') {
    const valueProblem = textProblemOf(value);
    if (valueProblem !== undefined) throw new UnstorableJsonTextError(`a string ${valueProblem}`);
  }
  return value;
}

/**
 * Parses JSON bodies with a size limit. It runs as a Nest middleware (not a bare Express one) so
 * parser errors (oversized, malformed) reach the problem+json filter like every other error.
 */
@Injectable()
export class JsonBodyMiddleware implements NestMiddleware {
  private readonly parse: RequestHandler;

  constructor(@InjectConfig() config: ProcoConfig) {
    this.parse = express.json({
      limit: config.api.bodyLimitBytes,
      strict: true,
      type: 'application/json',
      reviver: rejectUnsafeJson,
    });
  }

  async use(request: Request, response: Response, next: NextFunction): Promise<void> {
    const hasBody =
      request.headers['transfer-encoding'] !== undefined ||
      Number(request.headers['content-length'] ?? 0) > 0;
    if (hasBody && !request.is('application/json')) {
      throw new UnsupportedMediaTypeError('Send request bodies as application/json.');
    }
    await new Promise<void>((resolve, reject) => {
      this.parse(request, response, (error?: unknown) => {
        if (error === undefined || error === null) resolve();
        else reject(error instanceof Error ? error : new Error('request body could not be read'));
      });
    });
    next();
  }
}
