import { createServer, request as httpsRequest, Agent, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import type { ClientSecretCredentialOptions } from '@azure/identity';
import { createCertificates } from '../../src/emulator/certificates';
import { FakeGraph, type FakeApp, type FakePassword } from './graph/fake-graph';

export type { FakeApp, FakePassword };

export interface CallLogEntry {
  method: string;
  path: string;
  /** The query string, e.g. ?$select=id,appId. */
  search: string;
  status: number;
  grantType?: string;
  /** Graph's error code when the request broke Graph v1.0's OpenAPI description (path, method, body). */
  refused?: string;
}

interface Answer {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

interface Failure {
  remaining: number;
  status: number;
  retryAfter?: string;
  match?: RegExp;
}

/**
 * One HTTPS server speaking Microsoft Graph v1.0 (checked against its OpenAPI description: see
 * ./graph) and the Entra token endpoint (client_credentials and password grants, plus the OIDC
 * discovery MSAL requests). Keeps state and a call log, can be told to fail, and can delay new
 * secrets to simulate replication lag.
 */
export class FakeEntra {
  readonly graph = new FakeGraph();
  readonly apps = this.graph.apps;
  readonly users = this.graph.users;
  readonly calls: CallLogEntry[] = [];
  private failures: Failure[] = [];
  private constructor(
    private readonly server: Server,
    readonly baseUrl: string,
    readonly caPem: string,
  ) {}

  static async start(): Promise<FakeEntra> {
    const certs = await createCertificates();
    const holder: { fake?: FakeEntra } = {};
    const server = createServer({ cert: certs.certPem, key: certs.keyPem }, (req, res) => {
      void holder.fake?.handle(req, res);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const fake = new FakeEntra(server, `https://localhost:${port}`, certs.caPem);
    holder.fake = fake;
    return fake;
  }

  /** Graph's root, as ROTATOR_GRAPH_URL takes it (the client adds /v1.0). */
  get graphUrl(): string {
    return this.baseUrl;
  }

  get replicationLagMs(): number {
    return this.graph.replicationLagMs;
  }

  set replicationLagMs(ms: number) {
    this.graph.replicationLagMs = ms;
  }

  get authorityHost(): string {
    return this.baseUrl;
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  addApp(id?: string): FakeApp {
    return this.graph.addApp(id);
  }

  addPasswordDirectly(appObjectId: string, displayName: string, endDateTime?: string): FakePassword {
    return this.graph.addPasswordDirectly(appObjectId, displayName, endDateTime);
  }

  /** The next `count` requests (whose path matches, if given) answer `status`. */
  failNext(count: number, status: number, options: { retryAfter?: string; match?: RegExp } = {}): void {
    this.failures.push({ remaining: count, status, ...options });
  }

  /** Credential options that trust this server's CA for one credential only. */
  credentialOptions(): ClientSecretCredentialOptions {
    const agent = new Agent({ ca: this.caPem });
    return {
      additionalPolicies: [
        {
          position: 'perCall',
          policy: {
            name: 'fake-entra-trust',
            sendRequest: (request, next) => {
              request.agent = agent;
              return next(request);
            },
          },
        },
      ],
    };
  }

  /** A fetch that trusts this server's CA (Node's global fetch takes no agent). */
  fetch(): typeof fetch {
    const agent = new Agent({ ca: this.caPem });
    return (input, init) =>
      new Promise<Response>((resolve, reject) => {
        const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
        const headers: Record<string, string> = {};
        new Headers(init?.headers).forEach((v, k) => {
          headers[k] = v;
        });
        const req = httpsRequest(url, { method: init?.method ?? 'GET', headers, agent }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const status = res.statusCode ?? 500;
            const responseHeaders = new Headers();
            for (const [k, v] of Object.entries(res.headers)) {
              if (typeof v === 'string') responseHeaders.set(k, v);
            }
            const body = status === 204 || status === 304 ? null : Buffer.concat(chunks);
            resolve(new Response(body, { status, headers: responseHeaders }));
          });
          res.on('error', reject);
        });
        req.on('error', reject);
        if (typeof init?.body === 'string') req.write(init.body);
        req.end();
      });
  }

  /**
   * A fetch that answers in-process, whatever the host (https://graph.microsoft.com included): for
   * tests of the URLs the default configuration produces, with no traffic leaving the process.
   */
  inProcessFetch(): typeof fetch {
    return async (input, init) => {
      const request = new Request(input, init);
      const raw = init?.body === undefined || init.body === null ? '' : await request.text();
      const answer = this.answer(
        request.method,
        new URL(request.url),
        request.headers.get('authorization'),
        raw,
      );
      const status = answer.status;
      const body = status === 204 || answer.body === undefined ? null : JSON.stringify(answer.body);
      return new Response(body, {
        status,
        headers: { ...(body === null ? {} : { 'content-type': 'application/json' }), ...answer.headers },
      });
    };
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const url = new URL(req.url ?? '/', this.baseUrl);
    const answer = this.answer(req.method ?? 'GET', url, req.headers.authorization ?? null, raw);
    res.writeHead(answer.status, {
      ...(answer.body === undefined ? {} : { 'content-type': 'application/json' }),
      ...answer.headers,
    });
    res.end(answer.body === undefined ? undefined : JSON.stringify(answer.body));
  }

  private answer(method: string, url: URL, authorization: string | null, raw: string): Answer {
    const entry: CallLogEntry = { method, path: url.pathname, search: url.search, status: 0 };
    this.calls.push(entry);
    const answer = this.route(method, url, authorization, raw, entry);
    entry.status = answer.status;
    return answer;
  }

  private route(
    method: string,
    url: URL,
    authorization: string | null,
    raw: string,
    entry: CallLogEntry,
  ): Answer {
    const failure = this.failures.find((f) => f.remaining > 0 && (f.match?.test(url.pathname) ?? true));
    if (failure !== undefined) {
      failure.remaining -= 1;
      return {
        status: failure.status,
        body: { error: { code: 'Injected', message: 'injected failure' } },
        ...(failure.retryAfter === undefined ? {} : { headers: { 'retry-after': failure.retryAfter } }),
      };
    }
    const parts = url.pathname
      .split('/')
      .filter((p) => p !== '')
      .map(decodeURIComponent);
    // OIDC discovery: /{tenant}/v2.0/.well-known/openid-configuration
    if (method === 'GET' && parts[1] === 'v2.0' && parts[2] === '.well-known') {
      return { status: 200, body: this.discovery(parts[0] ?? 'common') };
    }
    if (method === 'POST' && parts[1] === 'oauth2' && parts[3] === 'token') {
      const form = new URLSearchParams(raw);
      entry.grantType = form.get('grant_type') ?? '';
      return this.token(form);
    }
    if (!(authorization ?? '').startsWith('Bearer ')) {
      return {
        status: 401,
        body: { error: { code: 'InvalidAuthenticationToken', message: 'Access token is empty.' } },
      };
    }
    const answer = this.graph.handle(method, url, raw);
    if (answer.refused !== undefined) entry.refused = answer.refused;
    return { status: answer.status, ...(answer.body === undefined ? {} : { body: answer.body }) };
  }

  private discovery(tenant: string): unknown {
    return {
      issuer: `${this.baseUrl}/${tenant}/v2.0`,
      authorization_endpoint: `${this.baseUrl}/${tenant}/oauth2/v2.0/authorize`,
      token_endpoint: `${this.baseUrl}/${tenant}/oauth2/v2.0/token`,
      device_authorization_endpoint: `${this.baseUrl}/${tenant}/oauth2/v2.0/devicecode`,
      end_session_endpoint: `${this.baseUrl}/${tenant}/oauth2/v2.0/logout`,
      jwks_uri: `${this.baseUrl}/${tenant}/discovery/v2.0/keys`,
      response_modes_supported: ['query', 'fragment', 'form_post'],
      tenant_region_scope: null,
    };
  }

  private token(form: URLSearchParams): Answer {
    const grant = form.get('grant_type') ?? '';
    const ok: Answer = {
      status: 200,
      body: {
        token_type: 'Bearer',
        expires_in: 3599,
        ext_expires_in: 3599,
        access_token: randomBytes(24).toString('hex'),
      },
    };
    if (grant === 'client_credentials') {
      const app = [...this.apps.values()].find((a) => a.appId === form.get('client_id'));
      const secret = form.get('client_secret');
      const match = app?.passwordCredentials.find((p) => p.secretText === secret);
      if (app === undefined) {
        return {
          status: 400,
          body: { error: 'unauthorized_client', error_description: 'AADSTS700016: Application not found.' },
        };
      }
      if (match === undefined || match.activeAt > Date.now()) {
        return {
          status: 401,
          body: {
            error: 'invalid_client',
            error_description: 'AADSTS7000215: Invalid client secret provided.',
          },
        };
      }
      return ok;
    }
    if (grant === 'password') {
      const username = form.get('username') ?? '';
      if (this.users.has(username) && this.users.get(username) === form.get('password')) return ok;
      return {
        status: 400,
        body: {
          error: 'invalid_grant',
          error_description: 'AADSTS50126: Error validating credentials due to invalid username or password.',
        },
      };
    }
    return {
      status: 400,
      body: { error: 'unsupported_grant_type', error_description: 'AADSTS70003: unsupported grant' },
    };
  }
}
