import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import type { Snapshot } from '../../src/emulator';
import { QUEUE } from '../../src/scheduling';
import { emulatorAdmin, type EmulatorAdmin } from './emulator-admin';
import { freePort, peakRss, startRotator } from './processes';
import { deleteKeysUnder, memoryUnder, usedMemory } from './redis-keys';
import { megabytes, requestCount, round } from './stats';
import { TAG } from '../../src/tags';
import { repoRoot } from '../repo-root';

export interface SweepScale {
  secrets: number;
  vaults: number;
  sweepSeconds: number;
  /** Secrets due within the horizon: each got a delayed job. */
  queued: number;
  /** Secrets due later: no job, no index entry. */
  beyondHorizon: number;
  vaultRequests: number;
  /** VmHWM over the sweep, 5 s at rest and the stop (its final export of spans and metrics). */
  daemonPeakRssMb: number;
  /** The daemon's resident memory a few seconds after the sweep, at rest. */
  daemonRestRssMb: number;
  /** MEMORY USAGE of the run's own keys ÷ secrets: what the schedule costs, whatever else shares Redis. */
  redisBytesPerSecret: number;
  redisKeys: number;
  /** The instance's used_memory delta ÷ secrets: allocator overhead included, but so is any concurrent work. */
  redisUsedMemoryDeltaPerSecret: number;
  /** How node ran the daemon (ImageRun's label), when not with Node's defaults. */
  nodeOptions?: string;
}

/**
 * The NODE_OPTIONS the image runs every `rotator` command with (the Dockerfile's `ENV`), read from
 * the Dockerfile itself so the bench measures the daemon as shipped. V8 sizes the heap for the
 * machine (a young generation that grows to 128 MB here), not for the daemon's ~30 MB live set; the
 * bench reports the daemon both ways.
 */
export function imageNodeOptions(root: string = repoRoot()): string {
  const match = /^\s*NODE_OPTIONS=(\S+)/m.exec(readFileSync(join(root, 'Dockerfile'), 'utf8'));
  if (match?.[1] === undefined)
    throw new Error(
      'the Dockerfile sets no NODE_OPTIONS: the bench measures the daemon as the image runs it',
    );
  return match[1].replace(/^"|"$/g, '');
}

/**
 * The V8 flags the `rotator` launcher starts node with (its `#!/usr/bin/env -S node …` line), which
 * NODE_OPTIONS may not carry: the image runs the launcher, so the bench passes them as it does.
 */
export function launcherNodeFlags(root: string = repoRoot()): string[] {
  const first = readFileSync(join(root, 'bin', 'rotator.js'), 'utf8').split('\n')[0] ?? '';
  const match = /^#!\/usr\/bin\/env -S node\b(.*)$/.exec(first);
  return (match?.[1] ?? '').split(/\s+/).filter((flag) => flag !== '');
}

/** How the image runs the daemon: the Dockerfile's NODE_OPTIONS and the launcher's node flags. */
export interface ImageRun {
  nodeOptions: string;
  nodeFlags: string[];
  /** For the report: `NODE_OPTIONS=… node …`. */
  label: string;
}

export function imageRun(root: string = repoRoot()): ImageRun {
  const nodeOptions = imageNodeOptions(root);
  const nodeFlags = launcherNodeFlags(root);
  return { nodeOptions, nodeFlags, label: `NODE_OPTIONS=${nodeOptions} node ${nodeFlags.join(' ')}`.trim() };
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const DAY = 86_400;
/** The daemon's defaults: rotate every 13 days, sweep every 5 minutes (horizon PT15M). */
const INTERVAL_S = 13 * DAY;
const SWEEP_INTERVAL = 'PT5M';
/** Seconds the daemon is left alone after its sweep before its resting RSS is read. */
const REST_S = 5;

/**
 * An emulator state file of `count` managed secrets, rotated at random over the last 13 days but
 * none within its last 5 minutes of being due, so none is overdue while the bench runs: a P13D
 * schedule has ~1 secret in 1,900 due in the next 10 minutes.
 */
function writeVault(file: string, count: number): void {
  const now = Math.floor(Date.now() / 1000);
  const snapshot: Snapshot = {
    format: 1,
    secrets: Array.from({ length: count }, (_, i) => {
      const rotated = now - Math.floor(Math.random() * (INTERVAL_S - 300));
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

/** Resident memory now (VmRSS), in bytes. */
function currentRss(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = /^VmRSS:\s+(\d+) kB$/m.exec(status);
  return match === null ? Number.NaN : Number(match[1]) * 1024;
}

interface Vaults {
  urls: string[];
  /** Every emulator's CA in one PEM bundle, for ROTATOR_VAULT_CA_FILE. */
  caFile: string;
  admins: EmulatorAdmin[];
  stop(): Promise<void>;
}

/** `count` emulator processes (one vault each: the emulator serves one), each loaded from its own state file. */
async function startVaults(dir: string, count: number, secretsEach: number): Promise<Vaults> {
  const children: Array<ReturnType<typeof startRotator>> = [];
  const stop = async (): Promise<void> => {
    await Promise.all(children.map((c) => c.child.stop()));
  };
  try {
    for (let v = 0; v < count; v += 1) {
      const dataFile = join(dir, `vault-${v}.json`);
      writeVault(dataFile, secretsEach);
      children.push(startRotator(['emulator', '--port', '0', '--data', dataFile], {}));
    }
    const listening = await Promise.all(children.map((c) => c.firstJsonLine));
    const vaults = listening as Array<{ url: string; caFile: string }>;
    const pems = vaults.map((v) => readFileSync(v.caFile, 'utf8'));
    const caFile = join(dir, 'ca-bundle.pem');
    writeFileSync(caFile, pems.join('\n'));
    return {
      urls: vaults.map((v) => v.url),
      caFile,
      admins: vaults.map((v, i) => emulatorAdmin(v.url, pems[i] ?? '')),
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

async function finishedSweep(
  sweeps: Queue,
  daemon: ReturnType<typeof startRotator>,
  onTick: () => void,
): Promise<{ seconds: number; summary: { queued?: number; beyondHorizon?: number } }> {
  for (;;) {
    if (daemon.child.process.exitCode !== null) throw new Error(`daemon exited: ${daemon.child.output()}`);
    onTick();
    const [done] = await sweeps.getJobs(['completed', 'failed'], 0, 0);
    if (done !== undefined) {
      if (done.failedReason) throw new Error(`sweep failed: ${done.failedReason}`);
      return {
        seconds: round(((done.finishedOn ?? 0) - (done.processedOn ?? 0)) / 1000, 2),
        summary: (done.returnvalue ?? {}) as { queued?: number; beyondHorizon?: number },
      };
    }
    await sleep(100);
  }
}

/** Stops the daemon, reading its peak resident memory until it is gone; the last reading before exit. */
async function peakThroughStop(child: ReturnType<typeof startRotator>['child']): Promise<number> {
  const pid = child.process.pid ?? 0;
  let peak = peakRss(pid);
  const stopped = child.stop();
  let done = false;
  void stopped.then(() => (done = true));
  while (!done) {
    try {
      const now = peakRss(pid);
      // A process that has exited but not been reaped has no VmHWM line any more.
      if (Number.isFinite(now)) peak = Math.max(peak, now);
    } catch {
      break; // gone between two readings
    }
    await sleep(20);
  }
  await stopped;
  return peak;
}

/**
 * One sweep of `rotator daemon` (a process of its own) over `vaults` emulated vaults (processes of
 * their own) holding `secrets` managed secrets between them.
 */
export async function sweepAtScale(opts: {
  redisDb: number;
  secrets: number;
  vaults?: number;
  /** More environment for the daemon. */
  daemonEnv?: Record<string, string>;
  /** Runs the daemon as the image does (its NODE_OPTIONS and the launcher's node flags). */
  image?: ImageRun;
}): Promise<SweepScale> {
  const vaultCount = opts.vaults ?? 1;
  const dir = mkdtempSync(join(tmpdir(), 'rotator-bench-'));
  const redisUrl = `redis://127.0.0.1:6379/${opts.redisDb}`;
  const prefix = `bench-sweep-${process.pid}-${Date.now().toString(36)}`;
  const redis = new Redis(redisUrl);
  const sweeps = new Queue(QUEUE.sweeps, { connection: { url: redisUrl }, prefix });
  let vaults: Vaults | undefined;
  let daemon: ReturnType<typeof startRotator> | undefined;
  try {
    vaults = await startVaults(dir, vaultCount, Math.ceil(opts.secrets / vaultCount));
    const before = await usedMemory(redis);
    await Promise.all(vaults.admins.map((a) => a.resetCounters()));
    daemon = startRotator(
      ['daemon'],
      {
        ROTATOR_VAULT_URL: vaults.urls.join(','),
        ROTATOR_VAULT_CA_FILE: vaults.caFile,
        ROTATOR_VAULT_TOKEN: 'bench',
        REDIS_URL: redisUrl,
        ROTATOR_QUEUE_PREFIX: prefix,
        ROTATOR_SWEEP_INTERVAL: SWEEP_INTERVAL,
        ROTATOR_HEALTH_PORT: String(await freePort()),
        ROTATOR_LOG_LEVEL: 'warn',
        ...opts.daemonEnv,
        ...(opts.image !== undefined && { NODE_OPTIONS: opts.image.nodeOptions }),
      },
      opts.image?.nodeFlags,
    );
    const pid = daemon.child.process.pid ?? 0;
    let peak = 0;
    const { seconds, summary } = await finishedSweep(sweeps, daemon, () => {
      peak = Math.max(peak, peakRss(pid));
    });
    const counters = await Promise.all(vaults.admins.map((a) => a.counters()));
    const after = await usedMemory(redis);
    const own = await memoryUnder(redis, prefix);
    await sleep(REST_S * 1000);
    const restRss = currentRss(pid);
    // The stop exports what is buffered, the metrics' fleet gauges included, as every minute's export
    // does: its memory is part of the daemon's peak.
    peak = Math.max(peak, await peakThroughStop(daemon.child));
    return {
      secrets: opts.secrets,
      vaults: vaultCount,
      sweepSeconds: seconds,
      queued: summary.queued ?? 0,
      beyondHorizon: summary.beyondHorizon ?? 0,
      vaultRequests: counters.reduce((sum, c) => sum + requestCount(c), 0),
      daemonPeakRssMb: megabytes(peak),
      daemonRestRssMb: megabytes(restRss),
      redisBytesPerSecret: Math.round(own.bytes / opts.secrets),
      redisKeys: own.keys,
      redisUsedMemoryDeltaPerSecret: Math.round((after - before) / opts.secrets),
      ...(opts.image !== undefined && { nodeOptions: opts.image.label }),
    };
  } finally {
    await daemon?.child.stop();
    await vaults?.stop();
    await sweeps.close();
    await deleteKeysUnder(redis, prefix);
    redis.disconnect();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The daemon at rest: started over a small vault (100 secrets), swept once, then left alone. */
export async function idleDaemon(opts: {
  redisDb: number;
  image?: ImageRun;
}): Promise<{ secrets: number; idleRssMb: number; nodeOptions?: string }> {
  const result = await sweepAtScale({ redisDb: opts.redisDb, secrets: 100, image: opts.image });
  return { secrets: result.secrets, idleRssMb: result.daemonRestRssMb, nodeOptions: opts.image?.label };
}
