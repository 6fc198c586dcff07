import { Injectable, type NestMiddleware } from '@nestjs/common';
import { type NextFunction, type Request, type Response } from 'express';
import { MetricsService } from './metrics.service';

/**
 * Times every request. The label is the route template (`/v1/agents/:id`), never the raw path,
 * so ids cannot explode the metric's cardinality.
 */
@Injectable()
export class RequestMetricsMiddleware implements NestMiddleware {
  constructor(private readonly metrics: MetricsService) {}

  use(request: Request, response: Response, next: NextFunction): void {
    const stop = this.metrics.httpRequestDuration.startTimer();
    response.once('finish', () => {
      const template: unknown = (request.route as { path?: unknown } | undefined)?.path;
      stop({
        method: request.method,
        route: typeof template === 'string' ? template : 'unmatched',
        status: String(response.statusCode),
      });
    });
    next();
  }
}
