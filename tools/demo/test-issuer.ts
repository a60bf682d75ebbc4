import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK, type JWTPayload } from 'jose';
import { createCertificates } from '../../src/emulator/certificates';

/**
 * A local OpenID provider shaped like Microsoft Entra, for tests and the demo: HTTPS, the v1 and v2
 * discovery documents, the key set (`/discovery/keys`, `/discovery/v2.0/keys`), key rotation, and
 * access tokens minted per test identity with Entra's v1 and v2 claim sets (learn.microsoft.com,
 * "Access token claims reference"). It never listens beyond loopback.
 */
export interface TestIdentity {
  oid: string;
  /** A person: their UPN (v1 `upn`/`unique_name`, v2 `preferred_username`). */
  upn?: string;
  displayName?: string;
  /** A workload (client credentials): its application id (v1 `appid`, v2 `azp`). */
  appId?: string;
  roles?: string[];
}

export interface MintOptions {
  audience: string;
  version?: 1 | 2;
  /** Overrides the roles of the identity. */
  roles?: string[];
  /** Seconds from now; negative for an expired token. Default 3600. */
  expiresIn?: number;
  /** Seconds from now the token becomes valid (nbf); default now minus 5 minutes, as Entra does. */
  notBefore?: number;
  /** Claims to add or replace (wrong issuer, missing oid…). */
  claims?: JWTPayload;
  /** `unpublished`: signed by a key the key set does not list; `none`: unsigned; `tampered`: bad signature. */
  signing?: 'published' | 'unpublished' | 'none' | 'tampered';
}

export interface TestIssuer {
  /** v2 issuer, `https://127.0.0.1:<port>/<tenant>/v2.0` (its discovery document says the same). */
  issuer: string;
  /** v1 issuer, `https://127.0.0.1:<port>/<tenant>/` (Entra's is https://sts.windows.net/<tenant>/). */
  issuerV1: string;
  tenantId: string;
  url: string;
  caFile: string;
  caPem: string;
  mint(identity: TestIdentity, options: MintOptions): Promise<string>;
  /** Publishes a new signing key and signs with it; the old ones stay published unless `retire`. */
  rotateKeys(options?: { retire?: boolean }): Promise<string>;
  /** How many times the key set was fetched (caching is observable). */
  keySetFetches(): number;
  close(): Promise<void>;
}

interface SigningKey {
  kid: string;
  privateKey: CryptoKey;
  jwk: JWK;
}

async function newKey(): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
  // Entra's kid is a base64url thumbprint; x5t repeats it in v1 headers.
  const kid = randomBytes(20).toString('base64url');
  const jwk = { ...(await exportJWK(publicKey)), kid, kty: 'RSA', use: 'sig', alg: 'RS256' };
  return { kid, privateKey, jwk };
}

function base64url(value: object): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

/** Entra's claim sets: a person's delegated token or a workload's app-only token, v1 or v2. */
function claimsFor(
  identity: TestIdentity,
  issuer: string,
  tenantId: string,
  options: MintOptions,
): JWTPayload {
  const now = Math.floor(Date.now() / 1000);
  const common: JWTPayload = {
    aud: options.audience,
    iss: issuer,
    iat: now - 5,
    nbf: now + (options.notBefore ?? -300),
    exp: now + (options.expiresIn ?? 3600),
    aio: randomBytes(24).toString('base64url'),
    oid: identity.oid,
    rh: `0.${randomBytes(16).toString('base64url')}.`,
    roles: options.roles ?? identity.roles ?? [],
    sub: randomBytes(24).toString('base64url'),
    tid: tenantId,
    uti: randomBytes(16).toString('base64url'),
    ver: options.version === 1 ? '1.0' : '2.0',
  };
  const clientId = identity.appId ?? '04b07795-8ddb-461a-bbee-02f9e1bf7b46';
  if (identity.upn === undefined) {
    // App-only (client credentials): no scp, no user names; idtyp says so.
    const app = options.version === 1 ? { appid: clientId, appidacr: '1' } : { azp: clientId, azpacr: '1' };
    return { ...common, ...app, idp: issuer, idtyp: 'app', ...options.claims };
  }
  const name = identity.displayName ?? identity.upn.split('@')[0];
  const person =
    options.version === 1
      ? {
          acr: '1',
          amr: ['pwd', 'mfa'],
          appid: clientId,
          appidacr: '0',
          name,
          scp: 'user_impersonation',
          unique_name: identity.upn,
          upn: identity.upn,
          ipaddr: '127.0.0.1',
        }
      : { azp: clientId, azpacr: '0', name, preferred_username: identity.upn, scp: 'user_impersonation' };
  return { ...common, ...person, ...options.claims };
}

export async function startTestIssuer(
  options: { tenantId?: string; port?: number; certDir?: string } = {},
): Promise<TestIssuer> {
  const tenantId = options.tenantId ?? randomUUID();
  const certs = await createCertificates(
    options.certDir ?? (await mkdtemp(join(tmpdir(), 'rotator-issuer-'))),
  );
  let published: SigningKey[] = [await newKey()];
  const stranger = await newKey();
  let fetches = 0;
  const server: Server = createServer({ cert: certs.certPem, key: certs.keyPem }, (req, res) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const json = (status: number, body: unknown): void => {
      res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
      res.end(JSON.stringify(body));
    };
    const base = `https://127.0.0.1:${(server.address() as AddressInfo).port}/${tenantId}`;
    if (path === `/${tenantId}/v2.0/.well-known/openid-configuration`) return json(200, discovery(base, 2));
    if (path === `/${tenantId}/.well-known/openid-configuration`) return json(200, discovery(base, 1));
    if (path === `/${tenantId}/discovery/v2.0/keys` || path === `/${tenantId}/discovery/keys`) {
      fetches += 1;
      return json(200, { keys: published.map((k) => ({ ...k.jwk, x5t: k.kid })) });
    }
    return json(404, { error: 'not_found' });
  });
  const discovery = (base: string, version: 1 | 2): Record<string, unknown> => ({
    issuer: version === 2 ? `${base}/v2.0` : `${base}/`,
    jwks_uri: version === 2 ? `${base}/discovery/v2.0/keys` : `${base}/discovery/keys`,
    token_endpoint: version === 2 ? `${base}/oauth2/v2.0/token` : `${base}/oauth2/token`,
    authorization_endpoint: version === 2 ? `${base}/oauth2/v2.0/authorize` : `${base}/oauth2/authorize`,
    response_types_supported: ['code', 'id_token', 'code id_token', 'token id_token', 'token'],
    subject_types_supported: ['pairwise'],
    id_token_signing_alg_values_supported: ['RS256'],
    tenant_region_scope: 'EU',
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const issuer = `${url}/${tenantId}/v2.0`;
  const issuerV1 = `${url}/${tenantId}/`;
  return {
    issuer,
    issuerV1,
    tenantId,
    url,
    caFile: certs.caFile,
    caPem: certs.caPem,
    async mint(identity, mint) {
      const claims = claimsFor(identity, mint.version === 1 ? issuerV1 : issuer, tenantId, mint);
      const signer =
        mint.signing === 'unpublished' ? stranger : (published[published.length - 1] as SigningKey);
      if (mint.signing === 'none') return `${base64url({ alg: 'none', typ: 'JWT' })}.${base64url(claims)}.`;
      const header = {
        alg: 'RS256',
        typ: 'JWT',
        kid: signer.kid,
        ...(mint.version === 1 && { x5t: signer.kid }),
      };
      const token = await new SignJWT(claims).setProtectedHeader(header).sign(signer.privateKey);
      if (mint.signing !== 'tampered') return token;
      const [head, , signature] = token.split('.');
      return `${head ?? ''}.${base64url({ ...claims, roles: ['Rotator.Approve', 'Rotator.Checkout'] })}.${signature ?? ''}`;
    },
    async rotateKeys(rotate = {}) {
      const key = await newKey();
      published = rotate.retire === true ? [key] : [...published, key];
      return key.kid;
    },
    keySetFetches: () => fetches,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
