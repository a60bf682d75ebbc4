/** The Entra authority host (no trailing slash) and the tenant's token endpoint, where targets verify credentials. */
export function entraTokenEndpoint(
  authorityHost: string | undefined,
  tenantId: string,
): { authorityHost: string; endpoint: string } {
  const host = (authorityHost ?? 'https://login.microsoftonline.com').replace(/\/+$/, '');
  return { authorityHost: host, endpoint: `${host}/${tenantId}/oauth2/v2.0/token` };
}
