import { mkdtemp, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import forge from 'node-forge';

interface EmulatorCertificates {
  caPem: string;
  certPem: string;
  keyPem: string;
  caFile: string;
}

function serial(): string {
  // A positive serial: a leading 0x00-0x7f byte keeps the DER integer from reading as negative.
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0] ?? 0) & 0x7f;
  return bytes.toString('hex');
}

function validity(cert: forge.pki.Certificate): void {
  const now = Date.now();
  // Back-dated an hour so small clock skew between processes never makes the chain "not yet valid".
  cert.validity.notBefore = new Date(now - 3600_000);
  cert.validity.notAfter = new Date(now + 365 * 24 * 3600_000);
}

/**
 * A throwaway CA per emulator run, so clients trust exactly this emulator and nothing else; the CA
 * PEM goes to a file because NODE_EXTRA_CA_CERTS and other processes need a path, not bytes.
 */
export async function createCertificates(certDir?: string): Promise<EmulatorCertificates> {
  const caKeys = forge.pki.rsa.generateKeyPair({ bits: 2048 });
  const ca = forge.pki.createCertificate();
  ca.publicKey = caKeys.publicKey;
  ca.serialNumber = serial();
  validity(ca);
  const caSubject = [{ name: 'commonName', value: 'Key Vault Emulator Test CA' }];
  ca.setSubject(caSubject);
  ca.setIssuer(caSubject);
  ca.setExtensions([
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  ca.sign(caKeys.privateKey, forge.md.sha256.create());

  const serverKeys = forge.pki.rsa.generateKeyPair({ bits: 2048 });
  const cert = forge.pki.createCertificate();
  cert.publicKey = serverKeys.publicKey;
  cert.serialNumber = serial();
  validity(cert);
  cert.setSubject([{ name: 'commonName', value: 'localhost' }]);
  cert.setIssuer(caSubject);
  cert.setExtensions([
    { name: 'basicConstraints', cA: false },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', serverAuth: true },
    {
      name: 'subjectAltName',
      altNames: [
        { type: 2, value: 'localhost' },
        { type: 7, ip: '127.0.0.1' },
        { type: 7, ip: '::1' },
      ],
    },
    { name: 'authorityKeyIdentifier', keyIdentifier: ca.generateSubjectKeyIdentifier().getBytes() },
  ]);
  cert.sign(caKeys.privateKey, forge.md.sha256.create());

  const dir = certDir ?? (await mkdtemp(join(tmpdir(), 'kv-emulator-')));
  await mkdir(dir, { recursive: true });
  const caPem = forge.pki.certificateToPem(ca);
  const caFile = join(dir, 'emulator-ca.pem');
  await writeFile(caFile, caPem, { mode: 0o644 });
  return {
    caPem,
    certPem: forge.pki.certificateToPem(cert),
    keyPem: forge.pki.privateKeyToPem(serverKeys.privateKey),
    caFile,
  };
}
