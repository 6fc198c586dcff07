import { createParamDecorator, type ExecutionContext, SetMetadata } from '@nestjs/common';
import { type Request } from 'express';
import { type AgentPrincipal, type OperatorPrincipal } from './principal';

/**
 * Who may call a route. Every route must declare one; the access guard refuses unclassified
 * routes so a new endpoint cannot ship open by accident.
 */
export type RouteAccess =
  | { readonly audience: 'public' }
  | { readonly audience: 'operator'; readonly scope: 'read' | 'admin' }
  | { readonly audience: 'agent' };

export const ROUTE_ACCESS_KEY = 'proco:route-access';

/** No credential needed (health, docs, metrics). */
export const Public = (): MethodDecorator & ClassDecorator =>
  SetMetadata(ROUTE_ACCESS_KEY, { audience: 'public' });

/** Operator API keys only; `admin` routes change state, `read` routes only read. */
export const OperatorAccess = (scope: 'read' | 'admin'): MethodDecorator & ClassDecorator =>
  SetMetadata(ROUTE_ACCESS_KEY, { audience: 'operator', scope });

/** Agent tokens only. */
export const AgentAccess = (): MethodDecorator & ClassDecorator =>
  SetMetadata(ROUTE_ACCESS_KEY, { audience: 'agent' });

/** The authenticated operator of an operator route. */
export const CurrentOperator = createParamDecorator(
  (_: unknown, context: ExecutionContext): OperatorPrincipal => {
    const request = context.switchToHttp().getRequest<Request & { user?: OperatorPrincipal }>();
    if (request.user?.kind !== 'operator')
      throw new Error('CurrentOperator used on a route without operator access');
    return request.user;
  },
);

/** The authenticated agent of an agent route. */
export const CurrentAgent = createParamDecorator((_: unknown, context: ExecutionContext): AgentPrincipal => {
  const request = context.switchToHttp().getRequest<Request & { user?: AgentPrincipal }>();
  if (request.user?.kind !== 'agent') throw new Error('CurrentAgent used on a route without agent access');
  return request.user;
});
