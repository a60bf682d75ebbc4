import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { createCertificates } from '../../src/emulator/certificates';

export interface LogsRequest {
  workspaceId: string;
  authorization: string;
  body: { query: string; timespan: string };
}

export interface LogsAnswer {
  status: number;
  headers?: Record<string, string>;
  body: unknown;
}

export interface FakeLogsEndpoint {
  /** Give to the adapter as ROTATOR_LOGS_ENDPOINT (without /v1). */
  url: string;
  caPem: string;
  requests: LogsRequest[];
  close(): Promise<void>;
}

/** A table in Log Analytics' answer format. */
export function tablesAnswer(columns: Array<{ name: string; type: string }>, rows: unknown[][]): LogsAnswer {
  return { status: 200, body: { tables: [{ name: 'PrimaryResult', columns, rows }] } };
}

function error(status: number, code: string, message: string): LogsAnswer {
  return { status, body: { error: { code, message } } };
}

/**
 * The Log Analytics query endpoint as the service answers it, for tests of the adapter: HTTPS only,
 * `POST /v1/workspaces/{id}/query` with a bearer token and a JSON body of exactly `query` and
 * `timespan`, anything else refused as the service refuses it. `answer` decides the rest.
 */
export async function startFakeLogsEndpoint(
  answer: (req: LogsRequest) => LogsAnswer,
): Promise<FakeLogsEndpoint> {
  const certs = await createCertificates();
  const requests: LogsRequest[] = [];
  const server: Server = createServer({ key: certs.keyPem, cert: certs.certPem }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const send = (a: LogsAnswer): void => {
        res.writeHead(a.status, { 'content-type': 'application/json', ...a.headers });
        res.end(JSON.stringify(a.body));
      };
      const match = /^\/v1\/workspaces\/([^/?]+)\/query$/.exec(req.url ?? '');
      if (req.method !== 'POST' || match === null)
        return send(error(404, 'PathNotFoundError', 'no such path'));
      const authorization = req.headers.authorization ?? '';
      if (!/^Bearer \S+$/.test(authorization))
        return send({
          ...error(401, 'AuthorizationRequiredError', 'no token'),
          headers: { 'www-authenticate': 'Bearer' },
        });
      let body: unknown;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
      } catch {
        return send(error(400, 'BadArgumentError', 'body is not JSON'));
      }
      const keys = typeof body === 'object' && body !== null ? Object.keys(body).sort() : [];
      const b = body as { query?: unknown; timespan?: unknown };
      if (keys.join() !== 'query,timespan' || typeof b.query !== 'string' || typeof b.timespan !== 'string')
        return send(error(400, 'BadArgumentError', `expected {query, timespan}, got ${keys.join()}`));
      const request = {
        workspaceId: match[1] ?? '',
        authorization,
        body: { query: b.query, timespan: b.timespan },
      };
      requests.push(request);
      send(answer(request));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `https://127.0.0.1:${port}`,
    caPem: certs.caPem,
    requests,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
