import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DateTime } from 'luxon';
import { systemClock } from '../../src/clock';
import { loadConfig } from '../../src/config';
import { startDaemon } from '../../src/daemon';
import { DEFAULT_EMULATOR_PORT, startEmulator } from '../../src/emulator';
import { isRotatorError } from '../../src/errors';
import { createLogger } from '../../src/logging';
import { createTargetRegistry } from '../../src/targets';
import { createSecretStores, type SecretStore } from '../../src/vault';
import { connectRedis, maskRedisUrl } from '../../src/redis';
import { TAG } from '../../src/tags';
import { ACCESS_PART_NAME, accessPart } from '../../src/access-api/access-part';
import { runAccessWalkthrough } from './access-walkthrough';
import { DEMO_AUDIENCE, DEMO_PEOPLE, DEMO_TENANT, GUARDED_SECRET } from './demo-identities';
import { readableLog } from './readable-log';
import { startTestIssuer } from './test-issuer';
import { seedPostgresAccount, writeDemoPolicy } from './seed-postgres';

/** Compressed time, so a newcomer sees every behaviour within a couple of minutes. */
const DEMO_TIME = {
  ROTATOR_ROTATION_INTERVAL: 'PT1M',
  ROTATOR_USAGE_GRACE: 'PT20S',
  ROTATOR_SWEEP_INTERVAL: 'PT10S',
  ROTATOR_RETRY_BACKOFF: 'PT2S',
};

const KEYVAULT_ACCOUNTS = ['svc-orders-api', 'svc-billing-batch', 'svc-reporting-export'];

function say(line: string): void {
  process.stderr.write(`demo: ${line}\n`);
}

async function redisAnswers(url: string): Promise<boolean> {
  try {
    (await connectRedis(url, 'cli')).disconnect();
    return true;
  } catch {
    return false;
  }
}

async function startDemoEmulator(dir: string): Promise<Awaited<ReturnType<typeof startEmulator>>> {
  const options = { dataFile: join(dir, 'demo-vault.json'), certDir: dir };
  try {
    return await startEmulator({ ...options, port: DEFAULT_EMULATOR_PORT });
  } catch {
    // The usual port is taken (another emulator?): any free port works, the exports below say which.
    return startEmulator({ ...options, port: 0 });
  }
}

async function seed(store: SecretStore): Promise<void> {
  for (const [i, name] of KEYVAULT_ACCOUNTS.entries()) {
    if ((await store.get(name)) !== undefined) continue;
    // The first one starts overdue, so the daemon has something to do in its first sweep.
    const tags: Record<string, string> = { [TAG.target]: 'keyvault' };
    if (i === 0) tags[TAG.rotatedAt] = DateTime.utc().minus({ days: 14 }).toISO() ?? '';
    await store.set(name, `seeded-by-demo-${i}`, { tags });
    say(`seeded ${name} (rotation-target=keyvault${i === 0 ? ', last rotated 14 days ago' : ''})`);
  }
  if ((await store.get(GUARDED_SECRET)) === undefined) {
    await store.set(GUARDED_SECRET, 'seeded-by-demo-guarded', {
      tags: { 'rotation-target': 'keyvault', 'rotation-approval': 'required' },
    });
    say(`seeded ${GUARDED_SECRET} (rotation-approval=required: a checkout needs someone else's approval)`);
  }
}

async function main(): Promise<void> {
  const dir = join(process.cwd(), '.rotator');
  mkdirSync(dir, { recursive: true });
  const base = loadConfig(process.env);
  if (!(await redisAnswers(base.redisUrl))) {
    say(
      `Redis is not reachable at ${maskRedisUrl(base.redisUrl)}. Start one with: redis-server --daemonize yes --port 6379`,
    );
    process.exit(2);
  }
  const emulator = await startDemoEmulator(dir);
  // A local OpenID provider stands in for Entra: it signs the demo people's tokens.
  const issuer = await startTestIssuer({ tenantId: DEMO_TENANT, certDir: join(dir, 'issuer') });
  const env = {
    ...process.env,
    ...DEMO_TIME,
    ROTATOR_VAULT_URL: emulator.url,
    ROTATOR_VAULT_CA_FILE: emulator.caFile,
    ROTATOR_VAULT_TOKEN: 'demo',
    ROTATOR_API_PORT: '8081',
    ROTATOR_API_AUDIENCE: DEMO_AUDIENCE,
    ROTATOR_API_ISSUER: issuer.issuer,
    // The demo ships its own target policy: the local PostgreSQL role it seeds, nothing else.
    ROTATOR_TARGET_POLICY: writeDemoPolicy(dir, emulator.url),
  };
  const config = loadConfig(env);
  const [store] = createSecretStores(config) as [SecretStore];
  await seed(store);
  const postgres = await seedPostgresAccount(store, (line) => say(line));

  const logger = createLogger({ level: 'info' }, readableLog(process.stdout));
  const access = accessPart(config.access, { issuerCaFile: issuer.caFile, host: '127.0.0.1', port: 0 });
  const daemon = await startDaemon({
    config,
    stores: [store],
    targets: createTargetRegistry(config),
    logger,
    clock: systemClock,
    // Any free port: a developer's machine often has something on 8080 already.
    healthPort: 0,
    parts: access === undefined ? [] : [access],
  });
  const apiUrl = `http://127.0.0.1:${daemon.ports[ACCESS_PART_NAME] ?? 0}`;
  const tokens = {
    requester: await issuer.mint(DEMO_PEOPLE.requester, { audience: DEMO_AUDIENCE, expiresIn: 8 * 3600 }),
    approver: await issuer.mint(DEMO_PEOPLE.approver, { audience: DEMO_AUDIENCE, expiresIn: 8 * 3600 }),
  };
  writeFileSync(join(dir, 'token-bob'), tokens.requester, { mode: 0o600 });
  writeFileSync(join(dir, 'token-carol'), tokens.approver, { mode: 0o600 });
  const exports = [
    `export ROTATOR_VAULT_URL=${emulator.url} ROTATOR_VAULT_CA_FILE=${emulator.caFile} ROTATOR_VAULT_TOKEN=demo`,
    `export ${Object.entries(DEMO_TIME)
      .map(([k, v]) => `${k}=${v}`)
      .join(' ')}`,
  ];
  const envFile = join(dir, 'demo.env');
  writeFileSync(envFile, `${exports.join('\n')}\n`);
  say(
    [
      `Key Vault emulator at ${emulator.url}; daemon health on :${daemon.healthPort}/readyz`,
      `rotation every ${DEMO_TIME.ROTATOR_ROTATION_INTERVAL}, forced rotation ${DEMO_TIME.ROTATOR_USAGE_GRACE} after a checkout${postgres ? ', PostgreSQL account included' : ''}`,
      `in a second terminal (or: source ${envFile}):`,
      ...exports.map((e) => `  ${e}`),
      '  npx rotator status',
      `  npx rotator checkout ${KEYVAULT_ACCOUNTS[1] ?? ''} --reason "trying the demo"`,
      `  npx rotator rotate ${KEYVAULT_ACCOUNTS[2] ?? ''} --wait`,
      `zero standing access, through the access API at ${apiUrl} (bob asks, carol approves):`,
      `  export ROTATOR_API_URL=${apiUrl}`,
      `  ID=$(ROTATOR_API_TOKEN=$(cat .rotator/token-bob) npx rotator request ${GUARDED_SECRET} --reason "payroll rerun" --ticket INC-1)`,
      '  ROTATOR_API_TOKEN=$(cat .rotator/token-carol) npx rotator approve $ID',
      `  ROTATOR_API_TOKEN=$(cat .rotator/token-bob) npx rotator checkout ${GUARDED_SECRET} --reason "payroll rerun" --ticket INC-1`,
      'Ctrl-C stops the demo.',
    ].join('\ndemo: '),
  );
  await runAccessWalkthrough({ apiUrl, tokens, secret: GUARDED_SECRET, say }).catch((error: unknown) =>
    say(`the access walkthrough failed: ${error instanceof Error ? error.message : String(error)}`),
  );
  await new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
  say('stopping');
  await daemon.stop();
  await emulator.close();
  await issuer.close();
  say('stopped');
}

main().catch((error: unknown) => {
  say(
    isRotatorError(error)
      ? error.toOneLine()
      : `failed: ${error instanceof Error ? error.message : String(error)}`,
  );
  process.exit(isRotatorError(error) ? error.exitCode : 1);
});
