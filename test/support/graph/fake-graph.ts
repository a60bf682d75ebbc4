import { randomBytes, randomUUID } from 'node:crypto';
// Answers are typed with the rotator's own client types, so the fake cannot drift from what it parses.
import type { AddedPassword, ApplicationPasswords } from '../../../src/targets/graph';
import { GraphRouter, type RoutedRequest } from './graph-router';

export interface FakePassword {
  keyId: string;
  displayName: string;
  hint: string;
  secretText: string;
  /** ISO-8601 end of validity, as addPassword was asked (Graph's default: two years). */
  endDateTime: string;
  /** Epoch ms from which the token endpoint accepts this secret (replication lag). */
  activeAt: number;
}

export interface FakeApp {
  id: string;
  appId: string;
  passwordCredentials: FakePassword[];
}

export interface GraphAnswer {
  status: number;
  body?: unknown;
}

const TWO_YEARS_MS = 2 * 365 * 24 * 3600 * 1000;

function refusal(status: number, code: string, message: string): GraphAnswer {
  return {
    status,
    body: {
      error: {
        code,
        message,
        innerError: {
          date: new Date().toISOString(),
          'request-id': randomUUID(),
          'client-request-id': randomUUID(),
        },
      },
    },
  };
}

function notFound(id: string): GraphAnswer {
  return refusal(
    404,
    'Request_ResourceNotFound',
    `Resource '${id}' does not exist or one of its queried reference-property objects are not present.`,
  );
}

/**
 * The directory behind the fake Graph: applications with password credentials and users with
 * passwords. Every request first passes the router (Graph v1.0's paths, methods, query options and
 * body schemas); only then does it touch this state.
 */
export class FakeGraph {
  readonly apps = new Map<string, FakeApp>();
  readonly users = new Map<string, string>();
  replicationLagMs = 0;
  private readonly router = new GraphRouter();

  addApp(id: string = randomUUID()): FakeApp {
    const app: FakeApp = { id, appId: randomUUID(), passwordCredentials: [] };
    this.apps.set(id, app);
    return app;
  }

  addPasswordDirectly(appObjectId: string, displayName: string, endDateTime?: string): FakePassword {
    const app = this.apps.get(appObjectId);
    if (app === undefined) throw new Error(`no app ${appObjectId}`);
    const secretText = randomBytes(30).toString('base64url');
    const password: FakePassword = {
      keyId: randomUUID(),
      displayName,
      hint: secretText.slice(0, 3),
      secretText,
      endDateTime: endDateTime ?? new Date(Date.now() + TWO_YEARS_MS).toISOString(),
      activeAt: Date.now() + this.replicationLagMs,
    };
    app.passwordCredentials.push(password);
    return password;
  }

  /** One Graph request (the path after the host, e.g. /v1.0/applications/…), as Graph would answer it. */
  handle(method: string, url: URL, rawBody: string): GraphAnswer & { refused?: string } {
    const routed = this.router.route(method, url, rawBody);
    if ('status' in routed)
      return { ...refusal(routed.status, routed.code, routed.message), refused: routed.code };
    return this.perform(routed);
  }

  private perform({ operation, params, body }: RoutedRequest): GraphAnswer {
    const template = operation.uriTemplate;
    if (template.includes('/applications/')) {
      const id = params['application-id'] ?? '';
      const app = this.apps.get(id);
      if (app === undefined) return notFound(id);
      if (template.endsWith('/addPassword')) return this.addPassword(app, body);
      if (template.endsWith('/removePassword')) return this.removePassword(app, body);
      if (operation.method === 'GET') return { status: 200, body: this.application(app) };
      return refusal(
        403,
        'Authorization_RequestDenied',
        'Insufficient privileges to complete the operation.',
      );
    }
    if (template.includes('/users/')) {
      const id = params['user-id'] ?? '';
      if (!this.users.has(id)) return notFound(id);
      if (operation.method !== 'PATCH') {
        return refusal(
          403,
          'Authorization_RequestDenied',
          'Insufficient privileges to complete the operation.',
        );
      }
      const password = (body as { passwordProfile?: { password?: string } }).passwordProfile?.password;
      if (password === undefined) {
        return refusal(
          400,
          'Request_BadRequest',
          'The fake directory only changes passwordProfile.password.',
        );
      }
      this.users.set(id, password);
      return { status: 204 };
    }
    return refusal(501, 'NotImplemented', `the fake does not implement ${operation.method} ${template}`);
  }

  private application(app: FakeApp): ApplicationPasswords {
    return {
      id: app.id,
      appId: app.appId,
      passwordCredentials: app.passwordCredentials.map((p) => ({
        keyId: p.keyId,
        displayName: p.displayName,
        hint: p.hint,
        endDateTime: p.endDateTime,
      })),
    };
  }

  private addPassword(app: FakeApp, body: unknown): GraphAnswer {
    const asked = (body as { passwordCredential?: { displayName?: string; endDateTime?: string } | null })
      .passwordCredential;
    const p = this.addPasswordDirectly(app.id, asked?.displayName ?? '', asked?.endDateTime);
    const answer: AddedPassword & { endDateTime: string } = {
      keyId: p.keyId,
      secretText: p.secretText,
      hint: p.hint,
      displayName: p.displayName,
      endDateTime: p.endDateTime,
    };
    return { status: 200, body: answer };
  }

  private removePassword(app: FakeApp, body: unknown): GraphAnswer {
    const { keyId } = body as { keyId: string };
    const before = app.passwordCredentials.length;
    app.passwordCredentials = app.passwordCredentials.filter((p) => p.keyId !== keyId);
    if (app.passwordCredentials.length === before) {
      return refusal(
        400,
        'CannotDeleteOrUpdateNonExistentPasswordCredential',
        `No password credential found with keyId ${keyId}`,
      );
    }
    return { status: 204 };
  }
}
