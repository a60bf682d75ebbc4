import type { TokenCredential } from '@azure/identity';
import { Client, GraphError } from '@microsoft/microsoft-graph-client';
import { RotatorError } from '../../errors/rotator-error';
import { GRAPH_VERSION, graphEndpoint, graphMiddleware } from './graph-transport';

export { GRAPH_DEFAULT_ROOT, GRAPH_SCOPE, GRAPH_VERSION, graphEndpoint } from './graph-transport';

export interface PasswordCredentialInfo {
  keyId: string;
  displayName: string | null;
  hint: string | null;
  /** ISO-8601 end of validity, when Graph reports one. */
  endDateTime?: string | null;
}

export interface AddedPassword {
  keyId: string;
  secretText: string;
  hint: string;
  displayName: string;
}

export interface ApplicationPasswords {
  id: string;
  /** The application (client) id, used to sign in with the app's secrets. */
  appId: string;
  passwordCredentials: PasswordCredentialInfo[];
}

/** The Graph operations the Entra targets need; fakes implement this type. */
export interface GraphApi {
  /** `endDateTime` bounds the new secret's life (Graph's default is two years). */
  addPassword(appObjectId: string, displayName: string, endDateTime?: Date): Promise<AddedPassword>;
  removePassword(appObjectId: string, keyId: string): Promise<void>;
  listPasswords(appObjectId: string): Promise<ApplicationPasswords>;
  resetUserPassword(userIdOrUpn: string, password: string): Promise<void>;
}

export interface GraphClientOptions {
  /** Who calls Graph: any @azure/identity credential (DefaultAzureCredential in production). */
  credential: TokenCredential;
  /** Graph's root (ROTATOR_GRAPH_URL), e.g. https://graph.microsoft.com; the client adds /v1.0. */
  baseUrl?: string;
  /** Injected for tests (e.g. a fetch trusting a private CA); defaults to the global fetch. */
  fetch?: typeof fetch;
  maxRetries?: number;
  /** Base delay between retries when Graph sends no Retry-After, in seconds. */
  retryDelaySeconds?: number;
}

const segment = (id: string): string => encodeURIComponent(id);

/**
 * Microsoft Graph v1.0 through Microsoft's Graph client library. Request bodies (which may hold
 * passwords) never reach errors: only the method, the path and Graph's error code do.
 */
export class GraphClient implements GraphApi {
  private readonly client: Client;
  private readonly root: string;

  constructor(options: GraphClientOptions) {
    const endpoint = graphEndpoint(options.baseUrl);
    this.root = endpoint.root;
    this.client = Client.initWithMiddleware({
      baseUrl: endpoint.root,
      defaultVersion: GRAPH_VERSION,
      customHosts: new Set([endpoint.host]),
      middleware: graphMiddleware(options),
    });
  }

  async addPassword(appObjectId: string, displayName: string, endDateTime?: Date): Promise<AddedPassword> {
    const path = `/applications/${segment(appObjectId)}/addPassword`;
    const passwordCredential =
      endDateTime === undefined ? { displayName } : { displayName, endDateTime: endDateTime.toISOString() };
    const body = (await this.call('POST', path, () => this.client.api(path).post({ passwordCredential }))) as
      Partial<AddedPassword> | undefined;
    if (typeof body?.keyId !== 'string' || typeof body.secretText !== 'string') {
      throw new RotatorError(
        'TARGET_REJECTED',
        `Graph addPassword for application ${appObjectId} returned no secret`,
        { hint: 'Check that ROTATOR_GRAPH_URL is Microsoft Graph' },
      );
    }
    return {
      keyId: body.keyId,
      secretText: body.secretText,
      hint: body.hint ?? '',
      displayName: body.displayName ?? displayName,
    };
  }

  async removePassword(appObjectId: string, keyId: string): Promise<void> {
    const path = `/applications/${segment(appObjectId)}/removePassword`;
    await this.call(
      'POST',
      path,
      () => this.client.api(path).post({ keyId }),
      // Already gone (a retry after a crash): Graph answers 400 for an unknown key id.
      (error) => error.statusCode === 404 || (error.statusCode === 400 && isUnknownKey(error)),
    );
  }

  async listPasswords(appObjectId: string): Promise<ApplicationPasswords> {
    const path = `/applications/${segment(appObjectId)}`;
    const body = (await this.call('GET', path, () =>
      this.client.api(path).select(['id', 'appId', 'passwordCredentials']).get(),
    )) as Partial<ApplicationPasswords> | undefined;
    return {
      id: body?.id ?? appObjectId,
      appId: body?.appId ?? '',
      passwordCredentials: (body?.passwordCredentials ?? []).map((c) => ({
        keyId: c.keyId,
        displayName: c.displayName ?? null,
        hint: c.hint ?? null,
        endDateTime: c.endDateTime ?? null,
      })),
    };
  }

  async resetUserPassword(userIdOrUpn: string, password: string): Promise<void> {
    const path = `/users/${segment(userIdOrUpn)}`;
    await this.call('PATCH', path, () =>
      this.client.api(path).patch({ passwordProfile: { password, forceChangePasswordNextSignIn: false } }),
    );
  }

  private async call(
    method: string,
    path: string,
    send: () => Promise<unknown>,
    treatAsDone?: (error: GraphError) => boolean,
  ): Promise<unknown> {
    try {
      return await send();
    } catch (error) {
      if (error instanceof RotatorError) throw error;
      if (error instanceof GraphError && error.statusCode > 0) {
        if (treatAsDone?.(error) === true) return undefined;
        throw graphFailure(`Graph ${method} /${GRAPH_VERSION}${path}`, error);
      }
      throw new RotatorError(
        'TARGET_UNREACHABLE',
        `Graph ${method} /${GRAPH_VERSION}${path}: ${error instanceof Error ? error.message : 'network error'}`,
        { hint: `Check network access to ${this.root}` },
      );
    }
  }
}

function isUnknownKey(error: GraphError): boolean {
  return (
    /NonExistentPasswordCredential/i.test(error.code ?? '') || /No password credential/i.test(error.message)
  );
}

function graphFailure(what: string, error: GraphError): RotatorError {
  const status = error.statusCode;
  const code = error.code ?? 'unknown';
  if (status === 429 || status === 503 || status === 504) {
    return new RotatorError(
      'TARGET_UNREACHABLE',
      `${what}: still throttled or unavailable (${status} ${code})`,
      {
        hint: 'Graph is throttling or unavailable; the rotation is retried later',
      },
    );
  }
  const permanent = status === 401 || status === 403 || status === 404;
  return new RotatorError(
    permanent ? 'TARGET_MISCONFIGURED' : status >= 500 ? 'TARGET_UNREACHABLE' : 'TARGET_REJECTED',
    `${what} failed with ${status} ${code}`,
    {
      hint:
        status === 404
          ? 'Check the object id or UPN in the rotation-account tag'
          : status === 401 || status === 403
            ? 'Grant the rotator identity the Graph permission this operation needs'
            : 'See the Graph error code',
      permanent,
    },
  );
}
