import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { DateTime, Duration } from 'luxon';
import { systemClock } from '../../src/clock';
import { RotationScheduler, scheduleHorizon, type RotationJobData } from '../../src/scheduling';
import type { SecretStore } from '../../src/vault';
import { freePort } from './ports';

/** `npm test` runs the bounded suite; `npm run test:chaos` sets ROTATOR_CHAOS=full. */
export const FULL = process.env.ROTATOR_CHAOS === 'full';
export const bounded = <T>(small: T, full: T): T => (FULL ? full : small);

const REPORT = process.env.CHAOS_REPORT ?? join(tmpdir(), 'rotator-chaos.jsonl');
/** The full run's figures, which `npm run bench` copies into BENCHMARKS.md. */
const RESULTS = join(__dirname, '..', '..', 'CHAOS-RESULTS.md');

/** Prints one `CHAOS` line with the figures and appends them to the chaos report. */
export function reportFigures(test: string, figures: Record<string, number | string>): void {
  const record = { test, mode: FULL ? 'full' : 'bounded', at: new Date().toISOString(), ...figures };
  process.stdout.write(`CHAOS ${JSON.stringify(record)}\n`);
  appendFileSync(REPORT, `${JSON.stringify(record)}\n`);
  if (FULL) {
    const shown = Object.entries(figures)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ');
    appendFileSync(RESULTS, `- **${test}** (${record.at.slice(0, 10)}): ${shown}\n`);
  }
}

/** A seeded pseudo-random source, so a failing chaos run can be replayed from its printed seed. */
export function random(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 0x1_0000_0000;
  };
}

/** Queues manual rotations as `rotator rotate` does; returns when each trigger was issued. */
export async function queueManual(
  redisUrl: string,
  prefix: string,
  store: SecretStore,
  names: readonly string[],
): Promise<DateTime> {
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
  const queue = new Queue<RotationJobData>('rotations', { connection: { url: redisUrl }, prefix });
  try {
    const scheduler = new RotationScheduler(queue, redis, prefix, systemClock, {
      attempts: 6,
      // Manual rotations only: the horizon bounds what a sweep queues, and this queues no sweep.
      horizon: scheduleHorizon(Duration.fromISO('PT5M')),
    });
    const now = DateTime.utc();
    await scheduler.add(
      names.map((name) =>
        scheduler.plan('manual', store.vaultUrl, name, { triggeredAt: now, dueAt: now, idStamp: now }),
      ),
    );
    return now;
  } finally {
    await queue.close();
    redis.disconnect();
  }
}

/**
 * Every committed rotation of a secret, oldest first: its reason and when it committed. Retries on
 * errors, because the checker reads through the same faulty vault the daemons are fighting.
 */
export async function committedRotations(
  store: SecretStore,
  name: string,
): Promise<Array<{ reason: string; rotatedAt: string }>> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      const found: Array<{ reason: string; rotatedAt: string }> = [];
      for await (const v of store.listVersions(name)) {
        const reason = v.tags['rotation-reason'];
        const rotatedAt = v.tags['rotated-at'];
        if (v.tags['rotation-id'] !== undefined && reason !== undefined && rotatedAt !== undefined)
          found.push({ reason, rotatedAt });
      }
      return found.sort((a, b) => a.rotatedAt.localeCompare(b.rotatedAt));
    } catch (error) {
      if (attempt >= 20) throw error;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

/** A private redis-server, so a test may FLUSHALL it, kill it and start it again on the same port. */
export interface PrivateRedis {
  url: string;
  port: number;
  restart(): Promise<void>;
  kill(): Promise<void>;
}

export async function startPrivateRedis(): Promise<PrivateRedis> {
  const port = await freePort();
  let child: ChildProcess | undefined;
  const start = async (): Promise<void> => {
    child = spawn('redis-server', ['--port', String(port), '--save', '', '--appendonly', 'no'], {
      stdio: 'ignore',
    });
    const probe = new Redis(port, '127.0.0.1', { maxRetriesPerRequest: 1, lazyConnect: true });
    for (let i = 0; i < 100; i += 1) {
      try {
        await probe.connect();
        await probe.ping();
        probe.disconnect();
        return;
      } catch {
        probe.disconnect();
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    throw new Error(`redis-server on ${port} did not start`);
  };
  const kill = async (): Promise<void> => {
    const running = child;
    if (running === undefined || running.exitCode !== null) return;
    const exited = new Promise((resolve) => running.once('exit', resolve));
    running.kill('SIGKILL');
    await exited;
  };
  await start();
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    restart: async () => {
      await kill();
      await start();
    },
    kill,
  };
}
