import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import type { Snapshot } from '../../src/emulator';
import { QUEUE } from '../../src/scheduling';
import { emulatorAdmin } from './emulator-admin';
import { freePort, peakRss, startRotator } from './processes';
import { deleteKeysUnder, memoryUnder, usedMemory } from './redis-keys';
import { megabytes, requestCount, round } from './stats';
import { TAG } from '../../src/tags';

export interface SweepScale {
  secrets: number;
  sweepSeconds: number;
  scheduled: number;
  vaultRequests: number;
  daemonPeakRssMb: number;
  /** MEMORY USAGE of the run's own keys ÷ secrets: what the schedule costs, whatever else shares Redis. */
  redisBytesPerSecret: number;
  /** The instance's used_memory delta ÷ secrets: allocator overhead included, but so is any concurrent work. */
  redisUsedMemoryDeltaPerSecret: number;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const DAY = 86_400;

/** An emulator state file of `count` managed secrets, each rotated within the last 12 days (none overdue). */
function writeVault(file: string, count: number): void {
  const now = Math.floor(Date.now() / 1000);
  const snapshot: Snapshot = {
    format: 1,
    secrets: Array.from({ length: count }, (_, i) => {
      const rotated = now - Math.floor(Math.random() * 12 * DAY);
      return {
        name: `scale-${i}`,
        versions: [
          {
            version: randomBytes(16).toString('hex'),
            value: randomBytes(12).toString('base64url'),
            enabled: true,
            created: rotated,
            updated: rotated,
            tags: { [TAG.target]: 'keyvault', [TAG.rotatedAt]: new Date(rotated * 1000).toISOString() },
          },
        ],
      };
    }),
  };
  writeFileSync(file, JSON.stringify(snapshot));
}

/** One sweep of `rotator daemon` (a process of its own) over a vault of `count` managed secrets. */
export async function sweepAtScale(opts: { redisDb: number; secrets: number }): Promise<SweepScale> {
  const dir = mkdtempSync(join(tmpdir(), 'rotator-bench-'));
  const dataFile = join(dir, 'vault.json');
  writeVault(dataFile, opts.secrets);
  const emulator = startRotator(['emulator', '--port', '0', '--data', dataFile], {});
  const redisUrl = `redis://127.0.0.1:6379/${opts.redisDb}`;
  const prefix = `bench-sweep-${process.pid}-${Date.now().toString(36)}`;
  const redis = new Redis(redisUrl);
  const sweeps = new Queue(QUEUE.sweeps, { connection: { url: redisUrl }, prefix });
  let daemon: ReturnType<typeof startRotator> | undefined;
  try {
    const { url, caFile } = (await emulator.firstJsonLine) as { url: string; caFile: string };
    const admin = emulatorAdmin(url, readFileSync(caFile, 'utf8'));
    const before = await usedMemory(redis);
    await admin.resetCounters();
    daemon = startRotator(['daemon'], {
      ROTATOR_VAULT_URL: url,
      ROTATOR_VAULT_CA_FILE: caFile,
      ROTATOR_VAULT_TOKEN: 'bench',
      REDIS_URL: redisUrl,
      ROTATOR_QUEUE_PREFIX: prefix,
      ROTATOR_SWEEP_INTERVAL: 'PT1H',
      ROTATOR_HEALTH_PORT: String(await freePort()),
      ROTATOR_LOG_LEVEL: 'warn',
    });
    const pid = daemon.child.process.pid ?? 0;
    let peak = 0;
    for (;;) {
      if (daemon.child.process.exitCode !== null) throw new Error(`daemon exited: ${daemon.child.output()}`);
      peak = Math.max(peak, peakRss(pid));
      const [done] = await sweeps.getJobs(['completed', 'failed'], 0, 0);
      if (done !== undefined) {
        if (done.failedReason) throw new Error(`sweep failed: ${done.failedReason}`);
        const summary = done.returnvalue as { managed?: number } | undefined;
        const vaultRequests = requestCount(await admin.counters());
        const scheduled = await redis.hlen(`${prefix}:rotator:schedule`);
        const after = await usedMemory(redis);
        const own = await memoryUnder(redis, prefix);
        return {
          secrets: opts.secrets,
          sweepSeconds: round(((done.finishedOn ?? 0) - (done.processedOn ?? 0)) / 1000, 2),
          scheduled: Math.max(scheduled, summary?.managed ?? 0),
          vaultRequests,
          daemonPeakRssMb: megabytes(peak),
          redisBytesPerSecret: Math.round(own.bytes / opts.secrets),
          redisUsedMemoryDeltaPerSecret: Math.round((after - before) / opts.secrets),
        };
      }
      await sleep(100);
    }
  } finally {
    await daemon?.child.stop();
    await emulator.child.stop();
    await sweeps.close();
    await deleteKeysUnder(redis, prefix);
    redis.disconnect();
    rmSync(dir, { recursive: true, force: true });
  }
}
