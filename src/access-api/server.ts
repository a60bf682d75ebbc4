import { readFileSync } from 'node:fs';
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Logger } from 'pino';
import type { AccessService } from '../access/access-service';
import type { Identity } from '../access/identity';
import { listen } from '../http';
import { isTokenRefusal, type TokenVerifier } from '../identity/token-verifier';
import { ApiError, readJson, sendError, sendJson } from './http-io';
import { OPENAPI } from './openapi';
import { matchRoute, type RouteMatch } from './routes';

export interface AccessApiOptions {
  port: number;
  host?: string;
  tls?: { certFile: string; keyFile: string };
  verifier: TokenVerifier;
  service: AccessService;
  logger: Logger;
  /** Largest accepted body (default 16 KiB: a request is a few hundred bytes). */
  bodyLimit?: number;
  /** An operation that takes longer (Redis or the vault gone) is answered 503: access fails closed. */
  operationTimeoutMs?: number;
}

export interface AccessApi {
  port: number;
  close(): Promise<void>;
}

function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new ApiError(
            503,
            'ACCESS_UNAVAILABLE',
            'the access store or the vault did not answer in time; try again',
          ),
        ),
      ms,
    );
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

/** The verified caller; a refused token is a 401 with its reason, an unreachable issuer a 503. */
async function authenticate(verifier: TokenVerifier, authorization: string | undefined): Promise<Identity> {
  const identity = await verifier.verify(authorization);
  if (!isTokenRefusal(identity)) return identity;
  if (identity.code === 'ISSUER_UNREACHABLE') throw new ApiError(503, identity.code, identity.message);
  const description = identity.message.replace(/"/g, "'");
  throw new ApiError(401, identity.code, identity.message, {
    'www-authenticate': `Bearer error="invalid_token", error_description="${description}"`,
  });
}

function findRoute(method: string | undefined, pathname: string): RouteMatch {
  const found = matchRoute(method ?? '', pathname);
  if (found === undefined) throw new ApiError(404, 'NOT_FOUND', `no route ${pathname}; see /v1/openapi.json`);
  if (found === 'method')
    throw new ApiError(405, 'METHOD_NOT_ALLOWED', `${method ?? ''} is not allowed on ${pathname}`);
  return found;
}

/** Every failure is answered `{"error":…}`; anything unforeseen is logged and fails closed with a 503. */
function answerFailure(req: IncomingMessage, res: ServerResponse, error: unknown, logger: Logger): void {
  const apiError =
    error instanceof ApiError
      ? error
      : new ApiError(503, 'ACCESS_UNAVAILABLE', 'the access API could not complete the operation; try again');
  if (!(error instanceof ApiError))
    logger.error(
      { err: error instanceof Error ? error.message : String(error), url: req.url },
      'access api failure',
    );
  else if (apiError.status === 413) res.setHeader('connection', 'close');
  sendError(res, apiError);
  // Stop reading an oversized upload; the answer is already on its way.
  if (apiError.status === 413) req.resume();
}

function createServerFor(
  tls: AccessApiOptions['tls'],
  listener: (req: IncomingMessage, res: ServerResponse) => void,
): Server {
  if (tls === undefined) return createHttpServer(listener);
  return createHttpsServer({ cert: readFileSync(tls.certFile), key: readFileSync(tls.keyFile) }, listener);
}

/**
 * The access API of `rotator daemon`: versioned JSON under /v1, every call authenticated by an Entra
 * access token. Routes get the verified identity, never the token; errors are `{"error":{code,message}}`.
 */
export async function startAccessApi(options: AccessApiOptions): Promise<AccessApi> {
  const limit = options.bodyLimit ?? 16 * 1024;
  const timeoutMs = options.operationTimeoutMs ?? 15_000;
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://api');
    if (req.method === 'GET' && url.pathname === '/v1/openapi.json') return sendJson(res, 200, OPENAPI);
    const found = findRoute(req.method, url.pathname);
    const identity = await authenticate(options.verifier, req.headers.authorization);
    const answer = await withTimeout(
      found.route.handle(options.service, {
        identity,
        params: found.params,
        query: url.searchParams,
        body: () => readJson(req, limit),
      }),
      timeoutMs,
    );
    options.logger.info(
      {
        method: req.method,
        route: found.route.path,
        status: answer.status,
        actor: identity.name,
        actorId: identity.id,
      },
      'access api',
    );
    sendJson(res, answer.status, answer.body);
  };
  const server = createServerFor(options.tls, (req, res) => {
    handle(req, res).catch((error: unknown) => answerFailure(req, res, error, options.logger));
  });
  server.requestTimeout = 30_000;
  server.headersTimeout = 10_000;
  return listen(server, options.port, options.host, 'idle');
}
