import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { DateTime } from 'luxon';
import type { SecretStore } from '../../src/vault';
import {
  bounded,
  committedRotations,
  reportFigures,
  startPrivateRedis,
  type PrivateRedis,
} from '../support/chaos';
import { freePort, startDaemonProcess } from '../support/cli-process';
import { emulatorStore, startTestEmulator, type TestEmulator, vaultEnv } from '../support/emulator';
import { pause, waitFor } from '../support/wait';

// Below ROTATOR_MAX_ATTEMPTS (6): a job that keeps killing its daemon is failed after that many stalls.
const KILLS = bounded(2, 5);
const PREFIX = 'chaos-stalled';

type Daemon = Awaited<ReturnType<typeof startDaemonProcess>>;

describe('chaos: one rotation SIGKILLed again and again mid-flight', () => {
  let redis: PrivateRedis;
  let client: Redis;
  let emulator: TestEmulator;
  let store: SecretStore;
  let env: Record<string, string>;
  const running = new Set<Daemon>();

  async function start(): Promise<Daemon> {
    const daemon = await startDaemonProcess(env, await freePort());
    running.add(daemon);
    return daemon;
  }

  async function kill(daemon: Daemon): Promise<void> {
    await daemon.stop('SIGKILL');
    running.delete(daemon);
  }

  /**
   * Compresses what time does once a daemon is dead: its job lock lapses (60 s), its lease on the
   * secret lapses (30 s), and BullMQ's once-per-30-s stalled-job check becomes due again.
   */
  async function letTimePass(jobId: string): Promise<void> {
    const leases = await client.keys(`${PREFIX}:rotator-lock:*`);
    await client.del(`${PREFIX}:rotations:${jobId}:lock`, `${PREFIX}:rotations:stalled-check`, ...leases);
  }

  beforeAll(async () => {
    [redis, emulator] = await Promise.all([startPrivateRedis(), startTestEmulator()]);
    client = new Redis(redis.url);
    store = emulatorStore(emulator);
    env = {
      ...vaultEnv(emulator),
      REDIS_URL: redis.url,
      ROTATOR_QUEUE_PREFIX: PREFIX,
      ROTATOR_ROTATION_INTERVAL: 'PT1H',
      ROTATOR_SWEEP_INTERVAL: 'PT1S',
      ROTATOR_LOG_LEVEL: 'warn',
    };
  });

  afterAll(async () => {
    await Promise.all([...running].map((d) => d.stop('SIGKILL')));
    client?.disconnect();
    await redis?.kill();
    await emulator?.close();
  });

  it('resumes the rotation after every crash and commits it exactly once', async () => {
    const started = Date.now();
    await store.set('crash-prone', 'initial', {
      tags: {
        'rotation-target': 'keyvault',
        'rotated-at': DateTime.utc().minus({ hours: 2 }).toISO() ?? '',
      },
    });
    const rotations = new Queue('rotations', { connection: { url: redis.url }, prefix: PREFIX });
    // Slow enough that the rotation is still running when its daemon is killed.
    emulator.setFaults({ latencyMs: 1_500 });
    let daemon = await start();
    let jobId = '';
    let stalls = 0;
    const countStalls = async (): Promise<void> => {
      stalls = Number((await client.hget(`${PREFIX}:rotations:${jobId}`, 'stc')) ?? stalls);
    };
    try {
      for (let round = 0; round < KILLS; round += 1) {
        jobId = await waitFor(
          'the rotation to run',
          async () => {
            const [active] = await rotations.getActive();
            const locked =
              active?.id !== undefined && (await client.exists(`${PREFIX}:rotations:${active.id}:lock`));
            return locked ? active?.id : undefined;
          },
          30_000,
        );
        await countStalls();
        await kill(daemon);
        await letTimePass(jobId);
        // A daemon's stalled-job check marks the orphaned job at start; the next one's moves it back.
        const marker = await start();
        await waitFor(
          'the orphaned job to be marked stalled',
          async () =>
            (await client.sismember(`${PREFIX}:rotations:stalled`, jobId)) === 1 ? true : undefined,
          30_000,
        );
        await kill(marker);
        await letTimePass(jobId);
        if (round === KILLS - 1) emulator.setFaults({});
        daemon = await start();
      }
      await waitFor(
        'the rotation to be committed (or its job to fail)',
        async () => {
          if ((await rotations.getFailedCount()) > 0) return true;
          return (await committedRotations(store, 'crash-prone')).length > 0 ? true : undefined;
        },
        30_000,
      );
      await countStalls();
      // A few more sweeps: a second commit for the same trigger would show up now.
      await pause(3_000);
      const committed = await committedRotations(store, 'crash-prone');
      // Once done, the job is completed or already replaced by the next schedule; never failed.
      const failed = (await rotations.getFailed()).map((j) => `${j.id ?? ''}: ${j.failedReason}`);
      const current = await store.get('crash-prone');
      const lost = current !== undefined && current.value.length > 0 && current.value !== 'initial' ? 0 : 1;
      reportFigures('one rotation killed mid-flight repeatedly', {
        kills: KILLS,
        stalls,
        rotations: committed.length,
        lost,
        duplicates: Math.max(0, committed.length - 1),
        failedJobs: failed.length,
        seconds: Math.round((Date.now() - started) / 1000),
      });
      expect(failed).toEqual([]);
      expect(committed.map((c) => c.reason)).toEqual(['scheduled']);
      expect(lost).toBe(0);
    } finally {
      emulator.setFaults({});
      await rotations.close();
      expect(await daemon.stop()).toBe(0);
      running.delete(daemon);
    }
  }, 300_000);
});
