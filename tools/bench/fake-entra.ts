import { randomBytes, randomUUID } from 'node:crypto';
import { createEntraAppTarget } from '../../src/targets/entra-app';
import { createEntraUserTarget } from '../../src/targets/entra-user';
import type { AddedPassword, ApplicationPasswords, GraphApi } from '../../src/targets/graph';
import type { RotationTarget, TargetLookup } from '../../src/rotation';
import { TAG } from '../../src/tags';

const TENANT = 'bench-tenant';
/** Never contacted: the fake answers every Graph and token call in-process. */
const AUTHORITY = 'https://login.bench.invalid';

/**
 * A directory in memory, behind the rotator's own Graph interface: the Entra targets run their real
 * apply and retire, and only the vault's requests are counted. No Graph and no token endpoint are
 * reached (the bench stays on loopback).
 */
export class FakeDirectory implements GraphApi {
  readonly apps = new Map<string, ApplicationPasswords & { secrets: Map<string, string> }>();
  readonly users = new Map<string, string>();

  addApp(objectId: string): void {
    this.apps.set(objectId, {
      id: objectId,
      appId: randomUUID(),
      passwordCredentials: [],
      secrets: new Map(),
    });
  }

  addUser(upn: string, password: string): void {
    this.users.set(upn, password);
  }

  private app(objectId: string): ApplicationPasswords & { secrets: Map<string, string> } {
    const app = this.apps.get(objectId);
    if (app === undefined) throw new Error(`no application ${objectId}`);
    return app;
  }

  addPassword(appObjectId: string, displayName: string): Promise<AddedPassword> {
    const app = this.app(appObjectId);
    const secretText = randomBytes(30).toString('base64url');
    const keyId = randomUUID();
    app.passwordCredentials.push({ keyId, displayName, hint: secretText.slice(0, 3) });
    app.secrets.set(keyId, secretText);
    return Promise.resolve({ keyId, secretText, displayName, hint: secretText.slice(0, 3) });
  }

  removePassword(appObjectId: string, keyId: string): Promise<void> {
    const app = this.app(appObjectId);
    app.passwordCredentials = app.passwordCredentials.filter((c) => c.keyId !== keyId);
    app.secrets.delete(keyId);
    return Promise.resolve();
  }

  listPasswords(appObjectId: string): Promise<ApplicationPasswords> {
    const { id, appId, passwordCredentials } = this.app(appObjectId);
    return Promise.resolve({ id, appId, passwordCredentials: [...passwordCredentials] });
  }

  resetUserPassword(userIdOrUpn: string, password: string): Promise<void> {
    if (!this.users.has(userIdOrUpn)) return Promise.reject(new Error(`no user ${userIdOrUpn}`));
    this.users.set(userIdOrUpn, password);
    return Promise.resolve();
  }

  /** The token endpoint's password grant (what entra-user's verify posts), answered in-process. */
  readonly tokenFetch = (_input: Parameters<typeof fetch>[0], init?: RequestInit): Promise<Response> => {
    const form = new URLSearchParams(typeof init?.body === 'string' ? init.body : '');
    const ok = this.users.get(form.get('username') ?? '') === form.get('password');
    return Promise.resolve(
      ok
        ? new Response(JSON.stringify({ access_token: 'bench', token_type: 'Bearer', expires_in: 3600 }), {
            status: 200,
          })
        : new Response(JSON.stringify({ error: 'invalid_grant', error_description: 'AADSTS50126' }), {
            status: 400,
          }),
    );
  };

  /**
   * The Entra targets over this directory. entra-user runs its own verify (ROPC through `tokenFetch`);
   * entra-app's verify signs in through MSAL, which needs a real token endpoint, so here the directory
   * itself says whether the secret is one of the application's.
   */
  targets(fallback: TargetLookup): TargetLookup {
    const user = createEntraUserTarget({
      graph: this,
      tenantId: TENANT,
      authorityHost: AUTHORITY,
      fetch: this.tokenFetch,
    });
    const app: RotationTarget = {
      ...createEntraAppTarget({ graph: this, tenantId: TENANT, authorityHost: AUTHORITY }),
      verify: (ctx, value) => {
        const known = [...this.app(ctx.tags[TAG.account] ?? '').secrets.values()].includes(value);
        return Promise.resolve(
          known ? { accepted: true } : { accepted: false, reason: 'unknown secret', endpoint: AUTHORITY },
        );
      },
      // The same in-process check for the retirement proof: no token endpoint is ever contacted.
      prove: (ctx, retired) => {
        const secrets = [...this.app(ctx.tags['rotation-account'] ?? '').secrets.values()];
        const alive = retired.value !== undefined && secrets.includes(retired.value);
        return Promise.resolve(
          alive
            ? { proven: false, reason: 'the retired secret is still on the application', check: 'directory' }
            : { proven: true, check: 'directory: secret gone' },
        );
      },
    };
    return (kind: string) => (kind === 'entra-app' ? app : kind === 'entra-user' ? user : fallback(kind));
  }
}
