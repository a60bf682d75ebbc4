import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { SignJWT, exportJWK, generateKeyPair, type CryptoKey, type JWTPayload } from 'jose';
import { createCertificates } from '../../src/emulator/certificates';

/** A minimal HTTPS OpenID provider for emulator tests: discovery, JWKS and tokens minted per identity. */
export interface TestOidc {
  issuer: string;
  tenantId: string;
  caFile: string;
  /** A signed access token for Key Vault (aud https://vault.azure.net unless overridden). */
  token(
    claims: JWTPayload,
    opts?: { expiresIn?: string | number; audience?: string; issuer?: string; key?: CryptoKey; kid?: string },
  ): Promise<string>;
  /** A key pair the provider does not publish, for "signed by an unknown key". */
  foreignKey(): Promise<CryptoKey>;
  close(): Promise<void>;
}

export async function startTestOidc(): Promise<TestOidc> {
  const certs = await createCertificates();
  const tenantId = randomUUID();
  const { publicKey, privateKey } = await generateKeyPair('RS256');
  const kid = randomUUID();
  const jwk = { ...(await exportJWK(publicKey)), kid, use: 'sig', alg: 'RS256' };
  let issuer = '';
  const server: Server = createServer({ key: certs.keyPem, cert: certs.certPem }, (req, res) => {
    const body =
      req.url === `/${tenantId}/v2.0/.well-known/openid-configuration`
        ? { issuer, jwks_uri: `${new URL(issuer).origin}/${tenantId}/discovery/v2.0/keys` }
        : req.url === `/${tenantId}/discovery/v2.0/keys`
          ? { keys: [jwk] }
          : undefined;
    res.writeHead(body ? 200 : 404, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body ?? { error: 'not found' }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  issuer = `https://127.0.0.1:${port}/${tenantId}/v2.0`;
  return {
    issuer,
    tenantId,
    caFile: certs.caFile,
    token: (claims, opts = {}) =>
      new SignJWT({ tid: tenantId, ...claims })
        .setProtectedHeader({ alg: 'RS256', kid: opts.kid ?? kid, typ: 'JWT' })
        .setIssuer(opts.issuer ?? issuer)
        .setAudience(opts.audience ?? 'https://vault.azure.net')
        .setIssuedAt()
        .setNotBefore('-1m')
        .setExpirationTime(opts.expiresIn ?? '1h')
        .sign(opts.key ?? privateKey),
    foreignKey: async () => (await generateKeyPair('RS256')).privateKey,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
