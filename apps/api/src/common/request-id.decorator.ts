import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import { type Request } from 'express';

/** The request id assigned by the logging middleware (also echoed as `X-Request-Id`). */
export const RequestId = createParamDecorator((_: unknown, context: ExecutionContext): string | undefined => {
  const id = context.switchToHttp().getRequest<Request & { id?: unknown }>().id;
  return typeof id === 'string' ? id : undefined;
});
