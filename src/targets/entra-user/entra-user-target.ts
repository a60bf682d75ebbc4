import { RotatorError } from '../../errors';
import type { AppliedCredential, RotationTarget, TargetContext, VerifyOutcome } from '../../rotation';
import { TAG } from '../../tags';
import { entraTokenEndpoint, GRAPH_SCOPE, type GraphApi } from '../graph';
import { proveRefused } from '../prove-refused';
import { requiredTag } from '../target-tags';
import { ENTRA_USER_POLICY } from './policy';

/** The well-known Azure CLI public client, allowed to use the password grant. */
const AZURE_CLI_CLIENT_ID = '04b07795-8ddb-461a-bbee-02f9e1bf7b46';

interface EntraUserTargetOptions {
  graph: GraphApi;
  tenantId: string;
  authorityHost?: string;
  clientId?: string;
  /** Injected for tests (e.g. a fetch trusting a private CA); defaults to the global fetch. */
  fetch?: typeof fetch;
}

function account(ctx: TargetContext): string {
  return requiredTag(ctx, TAG.account, `Set ${TAG.account} to the user principal name or object id`);
}

/** Signs in with ROPC, the only way to prove a user password; a refused sign-in is a verdict, anything else an error. */
async function verifyPassword(
  options: EntraUserTargetOptions,
  endpoint: string,
  username: string,
  value: string,
): Promise<VerifyOutcome> {
  const body = new URLSearchParams({
    grant_type: 'password',
    client_id: options.clientId ?? AZURE_CLI_CLIENT_ID,
    username,
    password: value,
    scope: GRAPH_SCOPE,
  });
  let response: Response;
  try {
    response = await (options.fetch ?? fetch)(endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: body.toString(),
    });
  } catch (error) {
    throw new RotatorError('TARGET_UNREACHABLE', `token endpoint ${endpoint} unreachable`, {
      hint: 'Check network access to the Entra authority host',
      cause: error instanceof Error ? new Error(error.message) : undefined,
    });
  }
  if (response.status === 200) {
    await response.body?.cancel();
    return { accepted: true };
  }
  let error = '';
  let description = '';
  try {
    const json = (await response.json()) as { error?: string; error_description?: string };
    error = json.error ?? '';
    description = json.error_description ?? '';
  } catch {
    // not JSON
  }
  const code = /AADSTS\d+/.exec(description)?.[0] ?? '';
  if (response.status === 400 && error === 'invalid_grant') {
    return { accepted: false, reason: `sign-in rejected (${code || error})`, endpoint };
  }
  throw new RotatorError(
    'TARGET_REJECTED',
    `token endpoint answered ${response.status} ${error} ${code}`.trim(),
    {
      hint: 'ROPC may be blocked (MFA, conditional access, federated user); check the sign-in logs',
    },
  );
}

/** Rotates an Entra user's password; verify signs in with ROPC, the only way to prove a user password. */
export function createEntraUserTarget(options: EntraUserTargetOptions): RotationTarget {
  const { endpoint } = entraTokenEndpoint(options.authorityHost, options.tenantId);

  return {
    kind: 'entra-user',
    policy: ENTRA_USER_POLICY,
    external: true,
    requiredTags: [TAG.account],

    async apply(ctx: TargetContext, newValue: string | undefined): Promise<AppliedCredential> {
      if (newValue === undefined) {
        throw new RotatorError('TARGET_MISCONFIGURED', 'entra-user needs a generated value', {
          hint: 'This is a bug in the engine: entra-user has a generation policy',
          permanent: true,
        });
      }
      await options.graph.resetUserPassword(account(ctx), newValue);
      return { value: newValue, tags: {} };
    },

    verify: (ctx, value) => verifyPassword(options, endpoint, account(ctx), value),

    async retire(): Promise<void> {
      // A user holds one password: nothing to retire, and no overlap is possible.
    },

    prove(ctx, retired) {
      return proveRefused((value) => this.verify(ctx, value), retired.value, 'sign-in');
    },
  };
}
