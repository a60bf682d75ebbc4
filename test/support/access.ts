import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROLE } from '../../src/access/identity';
import type { TestIdentity } from '../../tools/demo/test-issuer';
import { createCertificates } from '../../src/emulator/certificates';
import { rawHttps, type RawResponse } from './raw-https';

export const API_AUDIENCE = 'api://rotator-e2e';

/** The test identities: a requester, an approver, a person with no role, a workload. */
export const PEOPLE = {
  bob: { oid: 'b0b00000-0000-4000-8000-000000000001', upn: 'bob@contoso.example', roles: [ROLE.checkout] },
  carol: { oid: 'ca401000-0000-4000-8000-000000000002', upn: 'carol@contoso.example', roles: [ROLE.approve] },
  dave: { oid: 'da7e0000-0000-4000-8000-000000000003', upn: 'dave@contoso.example', roles: [] },
  rotator: { oid: 'a0a00000-0000-4000-8000-00000000000a', appId: 'a0a00000-0000-4000-8000-0000000000ff' },
} satisfies Record<string, TestIdentity>;

/** A certificate and key for the access API's HTTPS, with the CA that signed them. */
export async function apiTlsFiles(): Promise<{
  certFile: string;
  keyFile: string;
  caFile: string;
  caPem: string;
}> {
  const dir = await mkdtemp(join(tmpdir(), 'rotator-api-tls-'));
  const certs = await createCertificates(dir);
  const certFile = join(dir, 'api-cert.pem');
  const keyFile = join(dir, 'api-key.pem');
  await writeFile(certFile, certs.certPem);
  await writeFile(keyFile, certs.keyPem, { mode: 0o600 });
  return { certFile, keyFile, caFile: certs.caFile, caPem: certs.caPem };
}

/** A raw HTTPS call to the API, for what the CLI never sends (no token, huge or broken bodies). */
export function rawApi(
  url: string,
  caPem: string,
  opts: { method: string; path: string; headers?: Record<string, string>; body?: string },
): Promise<RawResponse> {
  const json = opts.body !== undefined && { 'content-type': 'application/json' };
  return rawHttps(url, caPem, { ...opts, headers: { ...json, ...opts.headers } });
}
