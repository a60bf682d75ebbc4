import { randomUUID } from 'node:crypto';
import { Duration } from 'luxon';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import pino from 'pino';
import { DeferredRequestBudget } from '../../src/budget';
import { systemClock } from '../../src/clock';
import { loadConfig } from '../../src/config';
import { startDaemon, type RunningDaemon } from '../../src/daemon';
import { QUEUE, RotationScheduler, scheduleHorizon, type RotationJobData } from '../../src/scheduling';
import { createKeyVaultTarget } from '../../src/targets/keyvault';
import { createSecretStores, type SecretStore } from '../../src/vault';
import { startTestEmulator, type TestEmulator } from '../support/emulator';
import { waitFor } from '../support/wait';

const SECRETS = 3;

describe('a daemon under per-vault request budgets (real Redis, two emulated vaults)', () => {
  const prefix = `t-vbudget-${randomUUID().slice(0, 8)}`;
  const redisUrl = 'redis://127.0.0.1:6379/0';
  const dir = mkdtempSync(join(tmpdir(), 'rotator-budget-'));
  let emulators: TestEmulator[];
  let stores: SecretStore[];
  let daemon: RunningDaemon;
  let redis: Redis;
  let rotations: Queue<RotationJobData>;
  let scheduler: RotationScheduler;

  beforeAll(async () => {
    emulators = [await startTestEmulator(), await startTestEmulator()];
    // Each emulator made its own CA; the daemon trusts the two.
    const caFile = join(dir, 'ca.pem');
    writeFileSync(caFile, emulators.map((e) => readFileSync(e.caFile, 'utf8')).join('\n'));
    const [slow, fast] = emulators.map((e) => e.url) as [string, string];
    const config = loadConfig({
      ROTATOR_VAULT_URL: `${slow},${fast}`,
      ROTATOR_VAULT_CA_FILE: caFile,
      ROTATOR_VAULT_TOKEN: 'test',
      REDIS_URL: redisUrl,
      ROTATOR_QUEUE_PREFIX: prefix,
      ROTATOR_SWEEP_INTERVAL: 'PT1H',
      // One attempt: a postponement that spent one would fail the job.
      ROTATOR_MAX_ATTEMPTS: '1',
      ROTATOR_VAULT_BUDGETS: JSON.stringify({ [slow]: { writes: 1, window: 'PT1S' } }),
    });
    const budget = new DeferredRequestBudget();
    stores = createSecretStores(config, undefined, budget);
    for (const store of stores) {
      for (let i = 0; i < SECRETS; i += 1)
        await store.set(`s${i}`, 'initial-value', { tags: { 'rotation-target': 'keyvault' } });
    }
    emulators.forEach((e) => e.resetCounters());
    // Vault 1 allows one write a second, like the rotator's budget for it: every rotation after the
    // first must wait for the budget, and the vault would answer 429 to any write over it.
    emulators[0]?.setFaults({ writeBudget: 1, throttleWindowMs: 1_000 });
    redis = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
    rotations = new Queue(QUEUE.rotations, { connection: { url: redisUrl }, prefix });
    scheduler = new RotationScheduler(rotations, redis, prefix, systemClock, {
      attempts: 1,
      horizon: scheduleHorizon(Duration.fromMillis(config.sweepInterval.ms)),
    });
    const keyvault = createKeyVaultTarget();
    daemon = await startDaemon({
      config,
      stores,
      targets: (kind) => (kind === 'keyvault' ? keyvault : undefined),
      logger: pino({ level: process.env.TEST_LOG ?? 'silent' }),
      clock: systemClock,
      healthPort: 0,
      budget,
    });
  });

  afterAll(async () => {
    await daemon?.stop();
    await rotations?.close();
    const keys = (await redis?.keys(`${prefix}:*`)) ?? [];
    if (keys.length > 0) await redis.del(...keys);
    redis?.disconnect();
    for (const e of emulators ?? []) await e.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('postpones jobs of a spent vault without spending attempts, and never meets a 429', async () => {
    const now = systemClock.now();
    await scheduler.add(
      stores.flatMap((store) =>
        Array.from({ length: SECRETS }, (_, i) =>
          scheduler.plan('manual', store.vaultUrl, `s${i}`, { triggeredAt: now, dueAt: now, idStamp: now }),
        ),
      ),
    );
    const done = await waitFor('all rotations to finish', async () => {
      const c = await rotations.getJobCounts('completed', 'failed');
      return (c.completed ?? 0) + (c.failed ?? 0) >= 2 * SECRETS ? c : undefined;
    });
    expect(done).toEqual({ completed: 2 * SECRETS, failed: 0 });
    const jobs = await rotations.getJobs(['completed']);
    const slowJobs = jobs.filter((j) => j.data.vault === stores[0]?.vaultUrl);
    // Some of the slow vault's jobs went back to wait for its budget: started more than once, yet
    // none spent more than its one attempt.
    expect(Math.max(...slowJobs.map((j) => j.attemptsStarted))).toBeGreaterThan(1);
    expect(slowJobs.every((j) => j.attemptsMade <= 1)).toBe(true);
    expect(emulators.map((e) => e.counters().throttled ?? 0)).toEqual([0, 0]);
    expect(emulators.map((e) => e.counters().setSecret)).toEqual([SECRETS, SECRETS]);
  });
});
