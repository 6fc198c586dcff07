import { type ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthGuard } from '@nestjs/passport';
import { type Request } from 'express';
import { ForbiddenError, UnauthenticatedError } from '../common/api.errors';
import { ROUTE_ACCESS_KEY, type RouteAccess } from './access.decorators';
import { BEARER_STRATEGY } from './bearer.strategy';
import { type Principal } from './principal';

/**
 * The one gate in front of every route: authenticates the bearer credential and checks it against
 * the route's declared access. A route without a declaration is refused (fail closed).
 */
@Injectable()
export class AccessGuard extends AuthGuard(BEARER_STRATEGY) {
  constructor(private readonly reflector: Reflector) {
    super();
  }

  override async canActivate(context: ExecutionContext): Promise<boolean> {
    const access = this.reflector.getAllAndOverride<RouteAccess | undefined>(ROUTE_ACCESS_KEY, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (access === undefined) throw new ForbiddenError('This route has no access rule.');
    if (access.audience === 'public') return true;
    await super.canActivate(context);
    const principal = context.switchToHttp().getRequest<Request & { user: Principal }>().user;
    if (access.audience === 'agent') {
      if (principal.kind !== 'agent') throw new ForbiddenError('This route is for agent tokens.');
      return true;
    }
    if (principal.kind !== 'operator') throw new ForbiddenError('This route is for operator API keys.');
    if (access.scope === 'admin' && principal.scope !== 'admin') {
      throw new ForbiddenError('This route needs an admin API key; this key is read-only.');
    }
    return true;
  }

  override handleRequest<User = Principal>(error: unknown, user: User | false | null): User {
    // Strategy failures (a database error during lookup) keep their identity; anything else is a 401.
    if (error instanceof Error) throw error;
    if (user === false || user === null || user === undefined) throw new UnauthenticatedError();
    return user;
  }
}
