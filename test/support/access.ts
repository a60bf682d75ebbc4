import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROLE } from '../../src/access/identity';
import type { TestIdentity, TestIssuer } from '../../tools/demo/test-issuer';
import { createCertificates } from '../../src/emulator/certificates';
import type { SecretStore, SecretWithValue } from '../../src/vault';
import { freePort, startDaemonProcess } from './cli-process';
import { rawHttps, type RawResponse } from './raw-https';
import { waitFor } from './wait';

export type DaemonProcess = Awaited<ReturnType<typeof startDaemonProcess>>;

export const API_AUDIENCE = 'api://rotator-e2e';

/**
 * The test identities: a requester, an approver, one who may do both, a person with no role, the
 * rotator's own workload identity and a batch job (a workload with the checkout role).
 */
export const PEOPLE = {
  bob: { oid: 'b0b00000-0000-4000-8000-000000000001', upn: 'bob@contoso.example', roles: [ROLE.checkout] },
  carol: { oid: 'ca401000-0000-4000-8000-000000000002', upn: 'carol@contoso.example', roles: [ROLE.approve] },
  dave: { oid: 'da7e0000-0000-4000-8000-000000000003', upn: 'dave@contoso.example', roles: [] },
  erin: {
    oid: 'e4170000-0000-4000-8000-000000000005',
    upn: 'erin@contoso.example',
    roles: [ROLE.checkout, ROLE.approve],
  },
  rotator: { oid: 'a0a00000-0000-4000-8000-00000000000a', appId: 'a0a00000-0000-4000-8000-0000000000ff' },
  batchJob: {
    oid: 'ba7c0000-0000-4000-8000-000000000006',
    appId: 'ba7c0000-0000-4000-8000-0000000000aa',
    roles: [ROLE.checkout],
  },
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

/**
 * `rotator daemon` with the access API on a free port, trusting `issuer`'s tokens for API_AUDIENCE;
 * `env` says the rest (vault, Redis, timings). Resolves with the API's URL and the CA to trust it by.
 */
export async function startAccessDaemon(
  env: Record<string, string>,
  issuer: Pick<TestIssuer, 'issuer' | 'caFile'>,
): Promise<{ daemon: DaemonProcess; apiUrl: string; apiCa: { caFile: string; caPem: string } }> {
  const tls = await apiTlsFiles();
  const apiPort = await freePort();
  const daemon = await startDaemonProcess(
    {
      ...env,
      ROTATOR_API_PORT: String(apiPort),
      ROTATOR_API_TLS_CERT_FILE: tls.certFile,
      ROTATOR_API_TLS_KEY_FILE: tls.keyFile,
      ROTATOR_API_AUDIENCE: API_AUDIENCE,
      ROTATOR_API_ISSUER: issuer.issuer,
      // The test issuer's CA, trusted by Node itself for the discovery document and keys.
      NODE_EXTRA_CA_CERTS: issuer.caFile,
    },
    await freePort(),
  );
  return { daemon, apiUrl: `https://127.0.0.1:${apiPort}`, apiCa: { caFile: tls.caFile, caPem: tls.caPem } };
}

/** The CLI's environment in brokered mode: no vault, no Redis, only the API and a token. */
export function brokeredEnv(apiUrl: string, apiCaFile: string, token: string): Record<string, string> {
  return { ROTATOR_API_URL: apiUrl, ROTATOR_API_CA_FILE: apiCaFile, ROTATOR_API_TOKEN: token };
}

/** Waits for the rotation a checkout of `name` forces, and returns the secret it left. */
export function forcedRotation(
  store: SecretStore,
  name: string,
  timeoutMs: number,
): Promise<SecretWithValue> {
  return waitFor(
    `the forced rotation of ${name}`,
    async () => {
      const latest = await store.get(name);
      return latest?.tags['rotation-reason'] === 'usage' ? latest : undefined;
    },
    timeoutMs,
  );
}
