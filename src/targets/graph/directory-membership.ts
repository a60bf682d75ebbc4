import type { TokenCredential } from '@azure/identity';
import { RotatorError } from '../../errors';
import { GRAPH_SCOPE } from './graph-transport';
/** Microsoft Graph v1.0; the client's default, repeated here so this module stands alone. */
const GRAPH_DEFAULT_BASE_URL = 'https://graph.microsoft.com/v1.0';
type TokenProvider = () => Promise<string>;

/** Graph tokens from an @azure/identity credential (the Graph client's own provider is internal to it). */
export function credentialTokenProvider(credential: TokenCredential): TokenProvider {
  return async () => {
    const token = await credential.getToken(GRAPH_SCOPE);
    if (token === null) {
      throw new RotatorError('TARGET_MISCONFIGURED', 'the rotator identity got no Microsoft Graph token', {
        hint: 'check the managed identity (or AZURE_* credentials) of the daemon',
        permanent: true,
      });
    }
    return token.token;
  };
}

/** The directory look-ups the target policy needs to decide whether a user may be rotated. */
export interface DirectoryMembership {
  /** The object id of a user named by object id or UPN; undefined when there is no such user. */
  userObjectId(userIdOrUpn: string): Promise<string | undefined>;
  /** Which of `groupIds` the user belongs to, directly or through nested groups. */
  memberGroups(userObjectId: string, groupIds: readonly string[]): Promise<string[]>;
  /** Whether the user is a member of the administrative unit. */
  inAdministrativeUnit(userObjectId: string, unitId: string): Promise<boolean>;
}

export interface GraphDirectoryMembershipOptions {
  tokenProvider: TokenProvider;
  baseUrl?: string;
  fetch?: typeof fetch;
}

/**
 * Microsoft Graph v1.0: `GET /users/{id|upn}?$select=id` (User.ReadBasic.All),
 * `POST /users/{id}/checkMemberGroups` (GroupMember.Read.All) and
 * `GET /directory/administrativeUnits/{id}/members/{id}` (AdministrativeUnit.Read.All).
 */
export class GraphDirectoryMembership implements DirectoryMembership {
  private readonly baseUrl: string;
  private readonly fetchImpl: typeof fetch;

  constructor(private readonly options: GraphDirectoryMembershipOptions) {
    this.baseUrl = (options.baseUrl ?? GRAPH_DEFAULT_BASE_URL).replace(/\/+$/, '');
    this.fetchImpl = options.fetch ?? fetch;
  }

  async userObjectId(userIdOrUpn: string): Promise<string | undefined> {
    const response = await this.send('GET', `/users/${encodeURIComponent(userIdOrUpn)}?$select=id`);
    if (response === undefined) return undefined;
    const body = (await response.json()) as { id?: unknown };
    return typeof body.id === 'string' ? body.id.toLowerCase() : undefined;
  }

  async memberGroups(userObjectId: string, groupIds: readonly string[]): Promise<string[]> {
    if (groupIds.length === 0) return [];
    const response = await this.send('POST', `/users/${encodeURIComponent(userObjectId)}/checkMemberGroups`, {
      groupIds,
    });
    if (response === undefined) return [];
    const body = (await response.json()) as { value?: unknown };
    return Array.isArray(body.value) ? body.value.filter((v): v is string => typeof v === 'string') : [];
  }

  async inAdministrativeUnit(userObjectId: string, unitId: string): Promise<boolean> {
    const path = `/directory/administrativeUnits/${encodeURIComponent(unitId)}/members/${encodeURIComponent(userObjectId)}`;
    const response = await this.send('GET', path);
    await response?.body?.cancel();
    return response !== undefined;
  }

  /** The response when OK, undefined on 404; anything else is an error that names the call, not a value. */
  private async send(method: string, path: string, body?: unknown): Promise<Response | undefined> {
    const what = `Graph ${method} ${path.split('?')[0] ?? path}`;
    let response: Response;
    try {
      const token = await this.options.tokenProvider();
      response = await this.fetchImpl(`${this.baseUrl}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    } catch (error) {
      throw new RotatorError(
        'TARGET_UNREACHABLE',
        `${what}: ${error instanceof Error ? error.name : 'failed'}`,
        {
          hint: `check network access to ${this.baseUrl} and the rotator identity; the rotation is retried`,
        },
      );
    }
    if (response.ok) return response;
    await response.body?.cancel();
    if (response.status === 404) return undefined;
    const permanent = response.status === 401 || response.status === 403;
    throw new RotatorError(
      permanent ? 'TARGET_MISCONFIGURED' : 'TARGET_UNREACHABLE',
      `${what} failed with ${response.status}`,
      {
        hint: permanent
          ? 'grant the rotator identity User.ReadBasic.All, GroupMember.Read.All and AdministrativeUnit.Read.All (see README, least privilege)'
          : 'the rotation is retried',
        permanent,
      },
    );
  }
}
