// Goal: every route the API serves declares who may call it, and the declaration is enforced: no
// credential -> 401, the wrong kind of credential -> 403, a read key on an admin route -> 403, all
// before any handler runs. A new route fails here until it is classified.
import { randomUUID } from 'node:crypto';
import { RequestMethod } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { ModulesContainer } from '@nestjs/core';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROUTE_ACCESS_KEY, type RouteAccess } from '../../apps/api/src/auth/access.decorators';
import { type ApiHarness, startApiHarness } from '../support/api-harness';

interface DeclaredRoute {
  readonly method: string;
  readonly path: string;
  readonly access: RouteAccess | undefined;
}

let harness: ApiHarness;
let http: ReturnType<typeof request>;
let routes: DeclaredRoute[];
const credentials = { admin: '', read: '', agent: '' };

/** Every controller route Nest registered, with its access declaration (method, then class). */
function declaredRoutes(harness: ApiHarness): DeclaredRoute[] {
  const found: DeclaredRoute[] = [];
  for (const module of harness.app.get(ModulesContainer).values()) {
    for (const wrapper of module.controllers.values()) {
      const controller = wrapper.metatype as (new (...args: never[]) => unknown) | null;
      if (controller === null) continue;
      const base = String(Reflect.getMetadata(PATH_METADATA, controller) ?? '');
      const classAccess = Reflect.getMetadata(ROUTE_ACCESS_KEY, controller) as RouteAccess | undefined;
      const prototype = controller.prototype as Record<string, unknown>;
      for (const name of Object.getOwnPropertyNames(prototype)) {
        const handler = prototype[name];
        if (name === 'constructor' || typeof handler !== 'function') continue;
        const path = Reflect.getMetadata(PATH_METADATA, handler) as string | undefined;
        if (path === undefined) continue;
        const method = RequestMethod[Reflect.getMetadata(METHOD_METADATA, handler) as number];
        const access =
          (Reflect.getMetadata(ROUTE_ACCESS_KEY, handler) as RouteAccess | undefined) ?? classAccess;
        const full = `/${[base, path]
          .map((part) => part.replace(/^\/|\/$/g, ''))
          .filter(Boolean)
          .join('/')}`;
        found.push({ method: method ?? 'UNKNOWN', path: full, access });
      }
    }
  }
  return found;
}

/** A concrete URL for a route template: every `:param` becomes a fresh UUID. */
const concrete = (path: string): string => path.replace(/:[A-Za-z]+/g, () => randomUUID());

function send(route: DeclaredRoute, secret?: string): request.Test {
  const url = concrete(route.path);
  const verb = route.method.toLowerCase() as 'get' | 'post' | 'patch' | 'delete' | 'put';
  const call = http[verb](url);
  if (secret !== undefined) call.set('Authorization', `Bearer ${secret}`);
  return route.method === 'GET' || route.method === 'DELETE' ? call : call.send({});
}

beforeAll(async () => {
  harness = await startApiHarness();
  http = request(harness.app.getHttpServer());
  routes = declaredRoutes(harness);
  const org = await harness.bootstrapOrg();
  credentials.admin = org.adminKey;
  const read = await http
    .post('/v1/api-keys')
    .set('Authorization', `Bearer ${org.adminKey}`)
    .send({ name: 'r', scope: 'read' });
  credentials.read = read.body.secret;
  const agent = await http
    .post('/v1/agents')
    .set('Authorization', `Bearer ${org.adminKey}`)
    .send({ name: 'a' });
  const token = await http
    .post(`/v1/agents/${agent.body.id}/tokens`)
    .set('Authorization', `Bearer ${org.adminKey}`)
    .send({ name: 't' });
  credentials.agent = token.body.secret;
});

afterAll(async () => {
  await harness?.close();
});

describe('route access', () => {
  it('finds the API routes', () => {
    expect(routes.length).toBeGreaterThanOrEqual(15);
    expect(routes).toContainEqual(expect.objectContaining({ method: 'POST', path: '/v1/agents' }));
  });

  it('every route declares its audience', () => {
    const unclassified = routes
      .filter((route) => route.access === undefined)
      .map((route) => `${route.method} ${route.path}`);
    expect(unclassified).toEqual([]);
  });

  it('refuses every non-public route without a credential (401)', async () => {
    for (const route of routes.filter((candidate) => candidate.access?.audience !== 'public')) {
      const response = await send(route);
      expect({
        route: `${route.method} ${route.path}`,
        status: response.status,
        code: response.body.code,
      }).toEqual({
        route: `${route.method} ${route.path}`,
        status: 401,
        code: 'unauthenticated',
      });
    }
  });

  it('refuses agent tokens on operator routes and operator keys on agent routes (403)', async () => {
    for (const route of routes) {
      const audience = route.access?.audience;
      if (audience === 'public') continue;
      const wrong = audience === 'agent' ? credentials.admin : credentials.agent;
      const response = await send(route, wrong);
      expect({ route: `${route.method} ${route.path}`, status: response.status }).toEqual({
        route: `${route.method} ${route.path}`,
        status: 403,
      });
    }
  });

  it('refuses read-only keys on admin routes (403) and lets them through on read routes', async () => {
    for (const route of routes) {
      if (route.access?.audience !== 'operator') continue;
      const response = await send(route, credentials.read);
      const label = `${route.method} ${route.path}`;
      if (route.access.scope === 'admin') {
        expect({ label, status: response.status }).toEqual({ label, status: 403 });
      } else {
        // Past the guard: the route answers on its own terms (404 for the random ids), never 401/403.
        expect({ label, denied: [401, 403].includes(response.status) }).toEqual({ label, denied: false });
      }
    }
  });

  it('serves the public routes without a credential', async () => {
    for (const route of routes.filter((candidate) => candidate.access?.audience === 'public')) {
      const response = await send(route);
      expect(response.status).toBeLessThan(400);
    }
  });
});
