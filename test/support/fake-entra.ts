import { createServer, request as httpsRequest, Agent, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes, randomUUID } from 'node:crypto';
import type { ClientSecretCredentialOptions } from '@azure/identity';
import { createCertificates } from '../../src/emulator/certificates';
// The responses are typed with the real client's types, so the fake cannot drift from what it parses.
import type { AddedPassword, ApplicationPasswords } from '../../src/targets/graph';

export interface FakePassword {
  keyId: string;
  displayName: string;
  hint: string;
  secretText: string;
  /** Epoch ms from which the token endpoint accepts this secret (replication lag). */
  activeAt: number;
}

export interface FakeApp {
  id: string;
  appId: string;
  passwordCredentials: FakePassword[];
}

export interface CallLogEntry {
  method: string;
  path: string;
  status: number;
  grantType?: string;
}

interface Failure {
  remaining: number;
  status: number;
  retryAfter?: string;
  match?: RegExp;
}

/**
 * One HTTPS server speaking the Graph subset and the Entra token endpoint (client_credentials and
 * password grants, plus the OIDC discovery MSAL requests). Keeps state and a call log, can be told
 * to fail, and can delay new secrets to simulate replication lag.
 */
export class FakeEntra {
  readonly apps = new Map<string, FakeApp>();
  readonly users = new Map<string, string>();
  readonly calls: CallLogEntry[] = [];
  replicationLagMs = 0;
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

  get graphUrl(): string {
    return `${this.baseUrl}/v1.0`;
  }

  get authorityHost(): string {
    return this.baseUrl;
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  addApp(id: string = randomUUID()): FakeApp {
    const app: FakeApp = { id, appId: randomUUID(), passwordCredentials: [] };
    this.apps.set(id, app);
    return app;
  }

  addPasswordDirectly(appObjectId: string, displayName: string): FakePassword {
    const app = this.apps.get(appObjectId);
    if (app === undefined) throw new Error(`no app ${appObjectId}`);
    const secretText = randomBytes(30).toString('base64url');
    const password: FakePassword = {
      keyId: randomUUID(),
      displayName,
      hint: secretText.slice(0, 3),
      secretText,
      activeAt: Date.now() + this.replicationLagMs,
    };
    app.passwordCredentials.push(password);
    return password;
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

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const url = new URL(req.url ?? '/', this.baseUrl);
    const method = req.method ?? 'GET';
    const entry: CallLogEntry = { method, path: url.pathname, status: 0 };
    this.calls.push(entry);
    const send = (status: number, body?: unknown, headers: Record<string, string> = {}): void => {
      entry.status = status;
      res.writeHead(status, {
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...headers,
      });
      res.end(body === undefined ? undefined : JSON.stringify(body));
    };

    const failure = this.failures.find((f) => f.remaining > 0 && (f.match?.test(url.pathname) ?? true));
    if (failure !== undefined) {
      failure.remaining -= 1;
      send(
        failure.status,
        { error: { code: 'Injected', message: 'injected failure' } },
        failure.retryAfter === undefined ? {} : { 'retry-after': failure.retryAfter },
      );
      return;
    }

    const parts = url.pathname
      .split('/')
      .filter((p) => p !== '')
      .map(decodeURIComponent);
    // OIDC discovery: /{tenant}/v2.0/.well-known/openid-configuration
    if (method === 'GET' && parts[1] === 'v2.0' && parts[2] === '.well-known') {
      const tenant = parts[0] ?? 'common';
      send(200, {
        issuer: `${this.baseUrl}/${tenant}/v2.0`,
        authorization_endpoint: `${this.baseUrl}/${tenant}/oauth2/v2.0/authorize`,
        token_endpoint: `${this.baseUrl}/${tenant}/oauth2/v2.0/token`,
        device_authorization_endpoint: `${this.baseUrl}/${tenant}/oauth2/v2.0/devicecode`,
        end_session_endpoint: `${this.baseUrl}/${tenant}/oauth2/v2.0/logout`,
        jwks_uri: `${this.baseUrl}/${tenant}/discovery/v2.0/keys`,
        response_modes_supported: ['query', 'fragment', 'form_post'],
        tenant_region_scope: null,
      });
      return;
    }
    if (method === 'POST' && parts[1] === 'oauth2' && parts[3] === 'token') {
      this.token(new URLSearchParams(raw), entry, send);
      return;
    }
    if (parts[0] === 'v1.0') {
      if (!(req.headers.authorization ?? '').startsWith('Bearer ')) {
        send(401, { error: { code: 'InvalidAuthenticationToken', message: 'no token' } });
        return;
      }
      this.graph(method, parts.slice(1), raw, send);
      return;
    }
    send(404, { error: { code: 'NotFound', message: 'no route' } });
  }

  private token(
    form: URLSearchParams,
    entry: CallLogEntry,
    send: (status: number, body?: unknown) => void,
  ): void {
    const grant = form.get('grant_type') ?? '';
    entry.grantType = grant;
    const ok = (): void =>
      send(200, {
        token_type: 'Bearer',
        expires_in: 3599,
        ext_expires_in: 3599,
        access_token: randomBytes(24).toString('hex'),
      });
    if (grant === 'client_credentials') {
      const app = [...this.apps.values()].find((a) => a.appId === form.get('client_id'));
      const secret = form.get('client_secret');
      const match = app?.passwordCredentials.find((p) => p.secretText === secret);
      if (app === undefined) {
        send(400, {
          error: 'unauthorized_client',
          error_description: 'AADSTS700016: Application not found.',
        });
      } else if (match === undefined || match.activeAt > Date.now()) {
        send(401, {
          error: 'invalid_client',
          error_description: 'AADSTS7000215: Invalid client secret provided.',
        });
      } else ok();
      return;
    }
    if (grant === 'password') {
      const username = form.get('username') ?? '';
      if (this.users.has(username) && this.users.get(username) === form.get('password')) ok();
      else
        send(400, {
          error: 'invalid_grant',
          error_description: 'AADSTS50126: Error validating credentials due to invalid username or password.',
        });
      return;
    }
    send(400, { error: 'unsupported_grant_type', error_description: 'AADSTS70003: unsupported grant' });
  }

  private graph(
    method: string,
    parts: string[],
    raw: string,
    send: (status: number, body?: unknown) => void,
  ): void {
    const [collection, id, action] = parts;
    if (collection === 'applications' && id !== undefined) {
      const app = this.apps.get(id);
      if (app === undefined) {
        send(404, {
          error: { code: 'Request_ResourceNotFound', message: `Resource '${id}' does not exist` },
        });
        return;
      }
      if (method === 'GET' && action === undefined) {
        const body: ApplicationPasswords = {
          id: app.id,
          appId: app.appId,
          passwordCredentials: app.passwordCredentials.map((p) => ({
            keyId: p.keyId,
            displayName: p.displayName,
            hint: p.hint,
          })),
        };
        send(200, body);
        return;
      }
      if (method === 'POST' && action === 'addPassword') {
        const displayName =
          (JSON.parse(raw) as { passwordCredential?: { displayName?: string } }).passwordCredential
            ?.displayName ?? '';
        const p = this.addPasswordDirectly(app.id, displayName);
        const body: AddedPassword = { keyId: p.keyId, secretText: p.secretText, hint: p.hint, displayName };
        send(200, body);
        return;
      }
      if (method === 'POST' && action === 'removePassword') {
        const { keyId } = JSON.parse(raw) as { keyId?: string };
        const before = app.passwordCredentials.length;
        app.passwordCredentials = app.passwordCredentials.filter((p) => p.keyId !== keyId);
        if (app.passwordCredentials.length === before) {
          send(400, {
            error: {
              code: 'CannotDeleteOrUpdateNonExistentPasswordCredential',
              message: `No password credential found with keyId ${keyId ?? ''}`,
            },
          });
        } else send(204);
        return;
      }
    }
    if (collection === 'users' && id !== undefined && method === 'PATCH') {
      if (!this.users.has(id)) {
        send(404, {
          error: { code: 'Request_ResourceNotFound', message: `Resource '${id}' does not exist` },
        });
        return;
      }
      const password = (JSON.parse(raw) as { passwordProfile?: { password?: string } }).passwordProfile
        ?.password;
      if (password === undefined) {
        send(400, { error: { code: 'Request_BadRequest', message: 'passwordProfile.password required' } });
        return;
      }
      this.users.set(id, password);
      send(204);
      return;
    }
    send(404, { error: { code: 'NotFound', message: 'no route' } });
  }
}
