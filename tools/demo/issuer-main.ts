import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEMO_AUDIENCE, DEMO_PEOPLE, DEMO_TENANT } from './demo-identities';
import { startTestIssuer } from './test-issuer';

/**
 * The test issuer as a process, for the compose stack: `node dist/demo/issuer-main.js PORT DIR`.
 * Writes DIR/ca.pem and the demo people's tokens (DIR/token-bob, DIR/token-carol, valid 8 hours),
 * then DIR/issuer.json last, so its presence means ready. Loopback only.
 */
async function main(): Promise<void> {
  const [portText = '8444', dir = '/data/issuer'] = process.argv.slice(2);
  mkdirSync(dir, { recursive: true });
  const issuer = await startTestIssuer({ tenantId: DEMO_TENANT, port: Number(portText), certDir: dir });
  writeFileSync(join(dir, 'ca.pem'), issuer.caPem);
  const lifetime = { audience: DEMO_AUDIENCE, expiresIn: 8 * 3600 };
  writeFileSync(join(dir, 'token-bob'), await issuer.mint(DEMO_PEOPLE.requester, lifetime), { mode: 0o644 });
  writeFileSync(join(dir, 'token-carol'), await issuer.mint(DEMO_PEOPLE.approver, lifetime), { mode: 0o644 });
  const info = { issuer: issuer.issuer, audience: DEMO_AUDIENCE, caFile: join(dir, 'ca.pem') };
  writeFileSync(join(dir, 'issuer.json'), JSON.stringify(info));
  process.stdout.write(`${JSON.stringify(info)}\n`);
  const stop = (): void => void issuer.close().then(() => process.exit(0));
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((error: unknown) => {
  process.stderr.write(`issuer: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
