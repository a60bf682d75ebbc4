import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runInLoopbackNamespace } from '../netns/loopback-namespace';
import { repoRoot } from '../repo-root';
import { startFakeIngestion } from './fake-ingestion';
import { imageRun, sweepAtScale, type SweepScale } from './sweep-scale';

/** A sweep measured with the daemon exporting to Azure Monitor, as the image runs in Azure. */
export interface DeployedSweep extends SweepScale {
  /** Telemetry items the local ingestion endpoint accepted from the daemon. */
  telemetryItems: number;
  /** Those items by kind, most first. */
  telemetryKinds: Record<string, number>;
}

/** The child's own Redis, inside the namespace (the machine's 6379 is not reachable from there). */
const OWN_REDIS_DB = 0;

/** The compiled child (npm run build:tools), also when the bench itself runs from source under jest. */
const CHILD = join(repoRoot(), 'build', 'tools', 'bench', 'sweep-as-deployed.js');

/** Runs in the namespace: a local ingestion endpoint, then one sweep with the daemon exporting to it. */
async function child(secrets: number): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'rotator-deployed-'));
  const ingestion = await startFakeIngestion(dir);
  try {
    const image = imageRun();
    const result = await sweepAtScale({
      redisDb: OWN_REDIS_DB,
      secrets,
      image,
      daemonEnv: {
        APPLICATIONINSIGHTS_CONNECTION_STRING: ingestion.connectionString,
        NODE_EXTRA_CA_CERTS: ingestion.caFile,
        // As the Dockerfile sets it: what ingestion has not accepted yet is kept on disk.
        ROTATOR_TELEMETRY_STORAGE_DIR: join(dir, 'telemetry'),
      },
    });
    const deployed: DeployedSweep = {
      ...result,
      nodeOptions: `${image.label}, Azure Monitor`,
      telemetryItems: ingestion.accepted(),
      telemetryKinds: ingestion.kinds(),
    };
    process.stdout.write(`${JSON.stringify(deployed)}\n`);
  } finally {
    await ingestion.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * One sweep of `secrets` with the daemon as deployed: run as the image runs it and Azure Monitor on,
 * its telemetry accepted by a local ingestion endpoint. Azure Monitor's distro probes the instance
 * metadata address (169.254.169.254), so the whole run (emulated vaults, a Redis of its own, the
 * daemon and the endpoint) happens in a network namespace where only loopback exists.
 */
export async function sweepAsDeployed(secrets: number): Promise<DeployedSweep> {
  const { code, stdout, stderr } = await runInLoopbackNamespace({
    script: CHILD,
    args: ['--child', String(secrets)],
    redisPort: 6379,
    env: { HOME: process.env.HOME ?? '/tmp' },
  });
  const line = stdout.trim().split('\n').pop() ?? '';
  if (code !== 0 || !line.startsWith('{')) {
    throw new Error(`the sweep as deployed failed (${code ?? 'signal'}):\n${stdout}\n${stderr}`);
  }
  return JSON.parse(line) as DeployedSweep;
}

if (require.main === module && process.argv[2] === '--child') {
  child(Number(process.argv[3])).then(
    () => process.exit(0),
    (error: unknown) => {
      process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exit(1);
    },
  );
}
