import { Injectable, type NestMiddleware } from '@nestjs/common';
import { InjectConfig, type ProcoConfig } from '@proco/config';
import express, { type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import { DomainError } from './api.errors';

class UnsupportedMediaTypeError extends DomainError<'unsupported_media_type'> {
  readonly code = 'unsupported_media_type';
}

const PROTOTYPE_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * Refuses prototype-polluting keys anywhere in a body. They would otherwise vanish silently when
 * a schema copies the object (`result['__proto__'] = …` sets a prototype, not a key).
 */
function rejectPrototypeKeys(key: string, value: unknown): unknown {
  if (PROTOTYPE_KEYS.has(key)) throw new SyntaxError(`the key "${key}" is not allowed`);
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
      reviver: rejectPrototypeKeys,
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
