import { ClientSecretCredential, type ClientSecretCredentialOptions } from '@azure/identity';
import { GRAPH_SCOPE } from '../graph';

export type TokenRefusal = (appId: string, value: string) => Promise<string | undefined>;

/** One token request with a secret: undefined when it gets a token, else why it was refused. */
export function tokenRefusal(
  tenantId: string,
  authorityHost: string,
  credentialOptions: ClientSecretCredentialOptions | undefined,
): TokenRefusal {
  return async (appId, value) => {
    const credential = new ClientSecretCredential(tenantId, appId, value, {
      ...credentialOptions,
      authorityHost,
      disableInstanceDiscovery: true,
    });
    try {
      await credential.getToken(GRAPH_SCOPE);
      return undefined;
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      const code = /AADSTS\d+/.exec(message)?.[0];
      return code === undefined ? 'token request failed' : `token request rejected (${code})`;
    }
  };
}
