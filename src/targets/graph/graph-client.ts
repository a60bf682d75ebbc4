import type { TokenCredential } from '@azure/identity';
import { RotatorError } from '../../errors';

const GRAPH_DEFAULT_BASE_URL = 'https://graph.microsoft.com/v1.0';
export const GRAPH_SCOPE = 'https://graph.microsoft.com/.default';

type TokenProvider = () => Promise<string>;

/** The production token provider: any @azure/identity credential (e.g. DefaultAzureCredential) for Graph. */
export function graphTokenProvider(credential: TokenCredential): TokenProvider {
  return async () => {
    const token = await credential.getToken(GRAPH_SCOPE);
    if (token === null) throw new Error('the credential returned no token for Microsoft Graph');
    return token.token;
  };
}

interface PasswordCredentialInfo {
  keyId: string;
  displayName: string | null;
  hint: string | null;
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
  addPassword(appObjectId: string, displayName: string): Promise<AddedPassword>;
  removePassword(appObjectId: string, keyId: string): Promise<void>;
  listPasswords(appObjectId: string): Promise<ApplicationPasswords>;
  resetUserPassword(userIdOrUpn: string, password: string): Promise<void>;
}

interface GraphClientOptions {
  tokenProvider: TokenProvider;
  baseUrl?: string;
  /** Injected for tests (e.g. a fetch trusting a private CA); defaults to the global fetch. */
  fetch?: typeof fetch;
  maxRetries?: number;
  /** Upper bound on one Retry-After wait. */
  maxRetryDelayMs?: number;
}

const RETRYABLE = new Set([429, 503]);

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function retryDelayMs(header: string | null, attempt: number, cap: number): number {
  if (header !== null) {
    const seconds = Number(header);
    if (Number.isFinite(seconds) && seconds >= 0) return Math.min(seconds * 1000, cap);
    const date = Date.parse(header);
    if (!Number.isNaN(date)) return Math.min(Math.max(0, date - Date.now()), cap);
  }
  return Math.min(250 * 2 ** attempt, cap);
}

interface GraphErrorBody {
  error?: { code?: string; message?: string };
}

async function errorDetails(response: Response): Promise<{ code: string; message: string }> {
  try {
    const body = (await response.json()) as GraphErrorBody;
    return { code: body.error?.code ?? 'unknown', message: body.error?.message ?? '' };
  } catch {
    return { code: 'unknown', message: '' };
  }
}

/** A small Microsoft Graph client over fetch. Request bodies (which may hold passwords) never reach errors. */
export class GraphClient implements GraphApi {
  private readonly baseUrl: string;
  private readonly fetchImpl: typeof fetch;
  private readonly maxRetries: number;
  private readonly maxRetryDelayMs: number;

  constructor(private readonly options: GraphClientOptions) {
    this.baseUrl = (options.baseUrl ?? GRAPH_DEFAULT_BASE_URL).replace(/\/+$/, '');
    this.fetchImpl = options.fetch ?? fetch;
    this.maxRetries = options.maxRetries ?? 4;
    this.maxRetryDelayMs = options.maxRetryDelayMs ?? 30_000;
  }

  async addPassword(appObjectId: string, displayName: string): Promise<AddedPassword> {
    const response = await this.send('POST', `/applications/${encodeURIComponent(appObjectId)}/addPassword`, {
      passwordCredential: { displayName },
    });
    const body = (await response.json()) as Partial<AddedPassword>;
    if (typeof body.keyId !== 'string' || typeof body.secretText !== 'string') {
      throw new RotatorError(
        'TARGET_REJECTED',
        `Graph addPassword for application ${appObjectId} returned no secret`,
        {
          hint: 'Check that the Graph endpoint is Microsoft Graph v1.0',
        },
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
    await this.send(
      'POST',
      `/applications/${encodeURIComponent(appObjectId)}/removePassword`,
      { keyId },
      (status, details) =>
        status === 404 || (status === 400 && /No password credential found/i.test(details.message)),
    );
  }

  async listPasswords(appObjectId: string): Promise<ApplicationPasswords> {
    const response = await this.send(
      'GET',
      `/applications/${encodeURIComponent(appObjectId)}?$select=id,appId,passwordCredentials`,
    );
    const body = (await response.json()) as Partial<ApplicationPasswords>;
    return {
      id: body.id ?? appObjectId,
      appId: body.appId ?? '',
      passwordCredentials: (body.passwordCredentials ?? []).map((c) => ({
        keyId: c.keyId,
        displayName: c.displayName ?? null,
        hint: c.hint ?? null,
      })),
    };
  }

  async resetUserPassword(userIdOrUpn: string, password: string): Promise<void> {
    await this.send('PATCH', `/users/${encodeURIComponent(userIdOrUpn)}`, {
      passwordProfile: { password, forceChangePasswordNextSignIn: false },
    });
  }

  private async token(what: string): Promise<string> {
    try {
      return await this.options.tokenProvider();
    } catch (error) {
      throw new RotatorError('TARGET_MISCONFIGURED', `${what}: could not acquire a Graph token`, {
        hint: 'Check the rotator identity and its Graph permissions (Application.ReadWrite.OwnedBy, User-PasswordProfile.ReadWrite.All)',
        cause: error instanceof Error ? new Error(error.message) : undefined,
      });
    }
  }

  /** One request; the error when the network failed (the caller retries or gives up). */
  private async attempt(
    method: string,
    path: string,
    token: string,
    body: unknown,
  ): Promise<Response | Error> {
    try {
      return await this.fetchImpl(`${this.baseUrl}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    } catch (error) {
      return error instanceof Error ? error : new Error('network error');
    }
  }

  private async send(
    method: string,
    path: string,
    body?: unknown,
    treatAsSuccess?: (status: number, details: { code: string; message: string }) => boolean,
  ): Promise<Response> {
    const what = `Graph ${method} ${path.split('?')[0] ?? path}`;
    for (let attempt = 0; ; attempt += 1) {
      const response = await this.attempt(method, path, await this.token(what), body);
      if (response instanceof Error) {
        if (attempt < this.maxRetries) {
          await sleep(retryDelayMs(null, attempt, this.maxRetryDelayMs));
          continue;
        }
        throw new RotatorError('TARGET_UNREACHABLE', `${what}: ${response.message}`, {
          hint: `Check network access to ${this.baseUrl}`,
        });
      }
      if (response.ok) return response;
      if (RETRYABLE.has(response.status) && attempt < this.maxRetries) {
        const delay = retryDelayMs(response.headers.get('retry-after'), attempt, this.maxRetryDelayMs);
        await response.body?.cancel();
        await sleep(delay);
        continue;
      }
      const details = await errorDetails(response);
      if (treatAsSuccess?.(response.status, details) === true) return response;
      throw failure(what, response.status, details.code, attempt);
    }
  }
}

/** The error of a request Graph answered with a failure, after the retries. */
function failure(what: string, status: number, code: string, attempt: number): RotatorError {
  if (RETRYABLE.has(status)) {
    return new RotatorError(
      'TARGET_UNREACHABLE',
      `${what}: still throttled after ${attempt + 1} attempts (${status})`,
      {
        hint: 'Graph is throttling; the rotation is retried later',
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
