import type { TokenCredential } from '@azure/identity';
import {
  AuthenticationHandler,
  RetryHandler,
  RetryHandlerOptions,
  type AuthenticationProvider,
  type Context,
  type Middleware,
} from '@microsoft/microsoft-graph-client';
import { TokenCredentialAuthenticationProvider } from '@microsoft/microsoft-graph-client/authProviders/azureTokenCredentials';
import { RotatorError } from '../../errors/rotator-error';
import { retryAfterMs } from '../../http';

export const GRAPH_DEFAULT_ROOT = 'https://graph.microsoft.com';
export const GRAPH_VERSION = 'v1.0';
export const GRAPH_SCOPE = 'https://graph.microsoft.com/.default';

/** Where Graph lives: the root (scheme and host) the Graph client joins with the version and the path. */
export interface GraphEndpoint {
  root: string;
  /** Host names the authentication middleware may send the token to (sovereign or test hosts). */
  host: string;
}

/**
 * ROTATOR_GRAPH_URL names Graph's root, e.g. https://graph.microsoft.com. Graph has no resources
 * at the root itself (every path starts with a version), so the version is added here; a URL that
 * already ends in /v1.0 is accepted as meaning the same root. Anything else is refused: a path
 * prefix such as /beta would send the targets to an API whose shapes we do not test.
 */
export function graphEndpoint(url: string = GRAPH_DEFAULT_ROOT): GraphEndpoint {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw invalidRoot(url);
  }
  const path = parsed.pathname.replace(/\/+$/, '');
  if (parsed.protocol !== 'https:' || (path !== '' && path !== `/${GRAPH_VERSION}`) || parsed.search !== '') {
    throw invalidRoot(url);
  }
  return { root: `${parsed.protocol}//${parsed.host}`, host: parsed.hostname };
}

function invalidRoot(url: string): RotatorError {
  return new RotatorError('TARGET_MISCONFIGURED', `ROTATOR_GRAPH_URL ${url} is not a Microsoft Graph root`, {
    hint: `Set ROTATOR_GRAPH_URL to the Graph root without a version, e.g. ${GRAPH_DEFAULT_ROOT}`,
    permanent: true,
  });
}

/**
 * The Graph client library's own TokenCredential provider, with its failures turned into our typed
 * error: a missing Graph permission or identity is a configuration problem, not a Graph answer.
 */
export class CredentialAuthenticationProvider implements AuthenticationProvider {
  private readonly inner: TokenCredentialAuthenticationProvider;

  constructor(credential: TokenCredential) {
    this.inner = new TokenCredentialAuthenticationProvider(credential, { scopes: [GRAPH_SCOPE] });
  }

  async getAccessToken(): Promise<string> {
    try {
      return await this.inner.getAccessToken();
    } catch (error) {
      throw new RotatorError('TARGET_MISCONFIGURED', 'could not acquire a Microsoft Graph token', {
        hint: 'Check the rotator identity and its Graph permissions (Application.ReadWrite.OwnedBy, User-PasswordProfile.ReadWrite.All)',
        cause: error instanceof Error ? new Error(error.message) : undefined,
      });
    }
  }
}

/** The last middleware: sends the request with an injected fetch (tests trust a private CA with it). */
export class FetchHandler implements Middleware {
  constructor(private readonly fetchImpl: typeof fetch) {}

  async execute(context: Context): Promise<void> {
    // The library declares its request with DOM types this Node build does not load.
    const request = context.request as unknown as string | Request;
    context.response = await this.fetchImpl(request, context.options);
  }
}

export interface GraphTransportOptions {
  credential: TokenCredential;
  fetch?: typeof fetch;
  /** Retries of 429/503/504 (the library's RetryHandler honours Retry-After); default 3. */
  maxRetries?: number;
  /** Base delay in seconds between retries when Graph sends no Retry-After; default 3. */
  retryDelaySeconds?: number;
  /**
   * The longest Retry-After waited out in-process (default 30 s). A longer one ends the call, so
   * the rotation job is retried later instead of holding a worker (and its lock) for minutes.
   */
  maxRetryAfterSeconds?: number;
}

/** The middleware chain: authentication → retry (429/503/504, Retry-After) → fetch. */
export function graphMiddleware(options: GraphTransportOptions): Middleware[] {
  return [
    new AuthenticationHandler(new CredentialAuthenticationProvider(options.credential)),
    new RetryHandler(
      new RetryHandlerOptions(
        options.retryDelaySeconds ?? 3,
        options.maxRetries ?? 3,
        (_delay, _attempt, _request, _options, response) =>
          (retryAfterMs(response?.headers, Date.now()) ?? 0) <= (options.maxRetryAfterSeconds ?? 30) * 1000,
      ),
    ),
    new FetchHandler(options.fetch ?? fetch),
  ];
}
