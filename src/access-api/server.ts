import { readFileSync } from 'node:fs';
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { AccessService } from '../access/access-service';
import { isTokenRefusal, type TokenVerifier } from '../identity/token-verifier';
import { ApiError, readJson, sendError, sendJson } from './http-io';
import { OPENAPI } from './openapi';
import { matchRoute } from './routes';

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
    const found = matchRoute(req.method ?? '', url.pathname);
    if (found === undefined)
      throw new ApiError(404, 'NOT_FOUND', `no route ${url.pathname}; see /v1/openapi.json`);
    if (found === 'method')
      throw new ApiError(405, 'METHOD_NOT_ALLOWED', `${req.method ?? ''} is not allowed on ${url.pathname}`);
    const identity = await options.verifier.verify(req.headers.authorization);
    if (isTokenRefusal(identity)) {
      if (identity.code === 'ISSUER_UNREACHABLE') throw new ApiError(503, identity.code, identity.message);
      const description = identity.message.replace(/"/g, "'");
      throw new ApiError(401, identity.code, identity.message, {
        'www-authenticate': `Bearer error="invalid_token", error_description="${description}"`,
      });
    }
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
  const listener = (req: IncomingMessage, res: ServerResponse): void => {
    handle(req, res).catch((error: unknown) => {
      const apiError =
        error instanceof ApiError
          ? error
          : new ApiError(
              503,
              'ACCESS_UNAVAILABLE',
              'the access API could not complete the operation; try again',
            );
      if (!(error instanceof ApiError))
        options.logger.error(
          { err: error instanceof Error ? error.message : String(error), url: req.url },
          'access api failure',
        );
      else if (apiError.status === 413) res.setHeader('connection', 'close');
      sendError(res, apiError);
      // Stop reading an oversized upload; the answer is already on its way.
      if (apiError.status === 413) req.resume();
    });
  };
  const server: Server =
    options.tls === undefined
      ? createHttpServer(listener)
      : createHttpsServer(
          { cert: readFileSync(options.tls.certFile), key: readFileSync(options.tls.keyFile) },
          listener,
        );
  server.requestTimeout = 30_000;
  server.headersTimeout = 10_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '0.0.0.0', () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      }),
  };
}
