import type { z } from 'zod';
import type { RequestView, AccessRequest } from '../access/access-request';
import type { AccessService, CheckoutResult } from '../access/access-service';
import type { Identity } from '../access/identity';
import { isRefusal, type Refusal } from '../access/refusal';
import { ApiError } from './http-io';
import { checkoutBody, decisionBody, describe, requestBody } from './schemas';

export interface RouteContext {
  identity: Identity;
  params: Record<string, string>;
  query: URLSearchParams;
  body: () => Promise<unknown>;
}

export interface RouteAnswer {
  status: number;
  body: unknown;
}

export interface Route {
  method: 'GET' | 'POST';
  /** `/v1/requests/{id}/approve`: braces name a path parameter. */
  path: string;
  handle(service: AccessService, ctx: RouteContext): Promise<RouteAnswer>;
}

export interface RouteMatch {
  route: Route;
  params: Record<string, string>;
}

function parse<T extends z.ZodType>(schema: T, value: unknown): z.infer<T> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new ApiError(400, 'BODY_INVALID', describe(parsed.error));
  return parsed.data;
}

function answer<T>(result: T | Refusal, status: number, shape: (value: T) => unknown): RouteAnswer {
  if (isRefusal(result)) throw new ApiError(result.status, result.code, result.message);
  return { status, body: shape(result) };
}

/** What a request looks like on the wire (the stored record with its state as of now). */
function requestJson(request: AccessRequest | RequestView): unknown {
  return { ...request, state: 'effectiveState' in request ? request.effectiveState : request.state };
}

/** `POST /v1/requests/{id}/approve` and `/deny`: an approver's decision, with an optional reason. */
function decisionRoute(decision: 'approve' | 'deny'): Route {
  return {
    method: 'POST',
    path: `/v1/requests/{id}/${decision}`,
    handle: async (service, ctx) => {
      const body = parse(decisionBody, await ctx.body());
      const result = await service.decide(ctx.identity, ctx.params.id ?? '', decision, body.reason);
      return answer(result, 200, requestJson);
    },
  };
}

export const ROUTES: Route[] = [
  {
    method: 'POST',
    path: '/v1/secrets/{name}/checkout',
    handle: async (service, ctx) => {
      const body = parse(checkoutBody, await ctx.body());
      const result = await service.checkout(ctx.identity, { ...body, secret: ctx.params.name ?? '' });
      return answer<CheckoutResult>(result, 200, (r) => r);
    },
  },
  {
    method: 'POST',
    path: '/v1/requests',
    handle: async (service, ctx) => {
      const body = parse(requestBody, await ctx.body());
      return answer(await service.request(ctx.identity, body), 201, requestJson);
    },
  },
  {
    method: 'GET',
    path: '/v1/requests',
    handle: async (service, ctx) => {
      const pending = ctx.query.get('pending') === 'true';
      return answer(await service.list(ctx.identity, { pending }), 200, (all) => ({
        requests: all.map(requestJson),
      }));
    },
  },
  decisionRoute('approve'),
  decisionRoute('deny'),
];

/** Finds the route for a path; a known path with another method is 405, anything else 404. */
export function matchRoute(method: string, path: string): RouteMatch | 'method' | undefined {
  let methodMismatch = false;
  for (const route of ROUTES) {
    const names: string[] = [];
    const pattern = new RegExp(
      `^${route.path.replace(/\{(\w+)\}/g, (_m, name: string) => {
        names.push(name);
        return '([^/]+)';
      })}$`,
    );
    const match = pattern.exec(path);
    if (match === null) continue;
    if (route.method !== method) {
      methodMismatch = true;
      continue;
    }
    const params: Record<string, string> = {};
    names.forEach((name, i) => (params[name] = decodeURIComponent(match[i + 1] ?? '')));
    return { route, params };
  }
  return methodMismatch ? 'method' : undefined;
}
