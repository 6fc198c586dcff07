import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { type Request } from 'express';
import { ForbiddenError, UnauthenticatedError } from '../common/api.errors';
import { ROUTE_ACCESS_KEY, type RouteAccess } from './access.decorators';
import { BearerAuthenticator } from './bearer-authenticator';
import { type Principal } from './principal';

/**
 * The one gate in front of every route: authenticates the bearer credential and checks it against
 * the route's declared access. A route without a declaration is refused (fail closed).
 */
@Injectable()
export class AccessGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly authenticator: BearerAuthenticator,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const access = this.reflector.getAllAndOverride<RouteAccess | undefined>(ROUTE_ACCESS_KEY, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (access === undefined) throw new ForbiddenError('This route has no access rule.');
    if (access.audience === 'public') return true;
    const request = context.switchToHttp().getRequest<Request & { user?: Principal }>();
    // A failure of the lookup itself (the database) keeps its identity; no principal is a 401.
    const principal = await this.authenticator.authenticate(request);
    if (principal === null) throw new UnauthenticatedError();
    request.user = principal;
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
}
