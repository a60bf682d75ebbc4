import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { auditScanCost } from './audit-scan';
import { forcedRotationLateness } from './lateness';
import { describeMachine } from './machine';
import { renderReport, severalVaultsSection, sweepSection, type BenchResults } from './report';
import { requestsPerRotation } from './requests-per-rotation';
import { severalVaults, type SeveralVaultsOptions } from './several-vaults';
import { sweepAsDeployed } from './sweep-as-deployed';
import { idleDaemon, imageRun, sweepAtScale } from './sweep-scale';
import { LIMIT_MODES, rotationThroughput, throttledThroughput } from './throughput';
import { repoRoot } from '../repo-root';

/** The only Redis databases the bench touches (another engineer's work uses 15). */
const REDIS_DBS = { rotations: 13, sweep: 14 } as const;

/** `full` is what BENCHMARKS.md holds; `smoke` proves every section works in seconds. */
const SIZES = {
  full: {
    rotations: 200,
    throughput: 4_000,
    throttled: 1_200,
    checkouts: 400,
    spreadMs: 20_000,
    sweeps: [10_000, 100_000],
    /** Issue 17: a million secrets over ten emulated vaults (state files written directly). */
    million: { secrets: 1_000_000, vaults: 10 },
    auditRows: 10_000,
    auditPollRunMs: 5_000,
    vaultRotations: 900,
  },
  smoke: {
    rotations: 8,
    throughput: 20,
    throttled: 20,
    checkouts: 10,
    spreadMs: 500,
    sweeps: [300],
    million: { secrets: 600, vaults: 2 },
    auditRows: 1_000,
    auditPollRunMs: 1_000,
    vaultRotations: 20,
  },
} as const;

/**
 * Three vaults at once: each emulator throttled like Key Vault (writes and others each their own
 * budget, 150 and 2,000 per 2 s: Key Vault's 300 and 4,000 per 10 s at 2.5× the rate, a short window
 * for a short run, and a rate this 2-core machine sustains for three vaults at once, so that what is
 * measured is the budget's use rather than the machine's speed), the rotator given the same budgets.
 */
export function severalVaultsOptions(size: keyof typeof SIZES): SeveralVaultsOptions {
  return {
    redisDb: REDIS_DBS.rotations,
    rotations: SIZES[size].vaultRotations,
    vaults: 3,
    writeBudget: 150,
    otherBudget: 2_000,
    windowMs: 2_000,
    concurrency: 8,
    replicas: 2,
  };
}

export interface BenchOptions {
  size: keyof typeof SIZES;
  /** `sweeps`: only the sweep sections (idle daemon, sweeps, the million), printed, BENCHMARKS.md untouched. */
  only?: 'sweeps';
  out: string;
  /** The chaos figures (written by the chaos suite) to append, if any. */
  chaosFile?: string;
  log(line: string): void;
}

/** The secrets of the daemon measured at rest: a small vault, swept once. */
const IDLE_SECRETS = 100;

/** The daemon at rest, one sweep per size, and the million over ten vaults: issue 17's memory figures. */
export async function runSweeps(
  opts: Pick<BenchOptions, 'size' | 'log'>,
): Promise<Pick<BenchResults, 'idle' | 'sweeps' | 'million' | 'millionTuned' | 'deployed'>> {
  const size = SIZES[opts.size];
  opts.log('idle daemon…');
  const image = imageRun();
  const idle = await idleDaemon({ redisDb: REDIS_DBS.sweep, image });
  opts.log(JSON.stringify(idle));
  const sweeps = [];
  for (const secrets of size.sweeps) {
    opts.log(`sweep over ${secrets} secrets…`);
    const result = await sweepAtScale({ redisDb: REDIS_DBS.sweep, secrets });
    opts.log(JSON.stringify(result));
    sweeps.push(result);
  }
  const biggest = size.sweeps[size.sweeps.length - 1] ?? 0;
  opts.log(`sweep over ${biggest} secrets, daemon run as the image runs it (${image.label})…`);
  const tuned = await sweepAtScale({
    redisDb: REDIS_DBS.sweep,
    secrets: biggest,
    image,
  });
  opts.log(JSON.stringify(tuned));
  const { secrets, vaults } = size.million;
  opts.log(`sweep over ${secrets} secrets in ${vaults} vaults…`);
  const million = await sweepAtScale({ redisDb: REDIS_DBS.sweep, secrets, vaults });
  opts.log(JSON.stringify(million));
  opts.log(`the same, daemon run as the image runs it…`);
  const tunedMillion = await sweepAtScale({
    redisDb: REDIS_DBS.sweep,
    secrets,
    vaults,
    image,
  });
  opts.log(JSON.stringify(tunedMillion));
  // As deployed: the image's NODE_OPTIONS and Azure Monitor on (in a network namespace), at rest and at the biggest size.
  const deployed = [];
  for (const count of [IDLE_SECRETS, biggest]) {
    opts.log(`sweep over ${count} secrets as deployed (Azure Monitor exporting)…`);
    const result = await sweepAsDeployed(count);
    opts.log(JSON.stringify(result));
    deployed.push(result);
  }
  return {
    deployed,
    idle,
    sweeps: [...sweeps, tuned],
    million,
    millionTuned: tunedMillion,
  };
}

/** The bench's sections, in the order a full run takes them; `--only` names some of them. */
export const SECTIONS = [
  'requests',
  'throughput',
  'throttled',
  'several-vaults',
  'lateness',
  'sweeps',
  'audit',
] as const;
export type Section = (typeof SECTIONS)[number];

type Sized = (typeof SIZES)[keyof typeof SIZES];
type Parts = Omit<BenchResults, 'date' | 'command' | 'size' | 'totalSeconds' | 'machine'>;
type Log = (line: string) => void;

function logged<T>(log: Log, result: T): T {
  log(JSON.stringify(result));
  return result;
}

async function throttledRuns(size: Sized, log: Log): Promise<Parts['throttled']> {
  const throttled = [];
  for (const mode of LIMIT_MODES) {
    log(`throttled (${mode})…`);
    const result = await throttledThroughput({
      redisDb: REDIS_DBS.rotations,
      rotations: size.throttled,
      budget: 300,
      windowMs: 2_000,
      // GET, PUT and the version list (older versions are disabled); see FLOOR in report.ts.
      requestsPerRotation: 3,
      mode,
    });
    throttled.push(logged(log, result));
  }
  return throttled;
}

/** Each section's run: it logs what it measured and returns its part of the results. */
type RunSection = (size: keyof typeof SIZES, log: Log, cpuProfile?: string) => Promise<Partial<Parts>>;

const RUN: Record<Section, RunSection> = {
  requests: async (s, log) => {
    log('requests per rotation…');
    const args = { redisDb: REDIS_DBS.rotations, rotations: SIZES[s].rotations };
    return { requests: logged(log, await requestsPerRotation(args)) };
  },
  throughput: async (s, log, cpuProfile) => {
    log('throughput…');
    const args = {
      redisDb: REDIS_DBS.rotations,
      rotations: SIZES[s].throughput,
      concurrency: 8,
      ...(cpuProfile !== undefined && { cpuProfile, log }),
    };
    return { throughput: logged(log, await rotationThroughput(args)) };
  },
  throttled: async (s, log) => ({ throttled: await throttledRuns(SIZES[s], log) }),
  'several-vaults': async (s, log) => {
    log('several vaults…');
    return { vaults: logged(log, await severalVaults(severalVaultsOptions(s))) };
  },
  lateness: async (s, log) => {
    log('forced-rotation lateness…');
    const args = { redisDb: REDIS_DBS.rotations, checkouts: SIZES[s].checkouts, spreadMs: SIZES[s].spreadMs };
    return { lateness: logged(log, await forcedRotationLateness(args)) };
  },
  sweeps: (s, log) => runSweeps({ size: s, log }),
  audit: async (s, log) => {
    log(`audit-log scan of ${SIZES[s].auditRows} rows…`);
    const args = {
      redisDb: REDIS_DBS.rotations,
      rows: SIZES[s].auditRows,
      pollRunMs: SIZES[s].auditPollRunMs,
    };
    return { audit: logged(log, await auditScanCost(args)) };
  },
};

/** Runs some sections only (`--only throughput,lateness`): their figures are logged, no report is written. */
export async function runSections(
  opts: Pick<BenchOptions, 'size' | 'log'> & { cpuProfile?: string },
  sections: Section[],
): Promise<void> {
  opts.log(JSON.stringify(await describeMachine(`redis://127.0.0.1:6379/${REDIS_DBS.rotations}`)));
  for (const section of sections) await RUN[section](opts.size, opts.log, opts.cpuProfile);
}

export async function runBench(opts: BenchOptions): Promise<BenchResults> {
  const started = performance.now();
  const machine = await describeMachine(`redis://127.0.0.1:6379/${REDIS_DBS.rotations}`);
  opts.log(JSON.stringify(machine));
  const parts: Partial<Parts> = {};
  for (const section of SECTIONS) Object.assign(parts, await RUN[section](opts.size, opts.log));
  const results: BenchResults = {
    date: new Date().toISOString().slice(0, 10),
    command: opts.size === 'full' ? 'npm run bench' : `npm run bench -- --size ${opts.size}`,
    size: opts.size,
    totalSeconds: Math.round((performance.now() - started) / 1000),
    machine,
    ...(parts as Parts),
  };
  const chaos =
    opts.chaosFile !== undefined && existsSync(opts.chaosFile)
      ? readFileSync(opts.chaosFile, 'utf8').trim()
      : undefined;
  writeFileSync(opts.out, renderReport(results, chaos));
  // Each part removed its own keys; the full run also leaves its databases empty. The smoke run
  // (inside `npm test`) does not, so it cannot pull jobs from under a full run going on meanwhile.
  if (opts.size === 'full') await flushBenchDatabases();
  return results;
}

async function flushBenchDatabases(): Promise<void> {
  for (const db of Object.values(REDIS_DBS)) {
    const redis = new Redis(`redis://127.0.0.1:6379/${db}`);
    try {
      await redis.flushdb();
    } finally {
      redis.disconnect();
    }
  }
}

if (require.main === module) {
  const root = repoRoot();
  // Arguments, not environment: only the config module reads process.env.
  const arg = (name: string): string | undefined => {
    const at = process.argv.indexOf(name);
    return at < 0 ? undefined : process.argv[at + 1];
  };
  const size = arg('--size') === 'smoke' ? 'smoke' : 'full';
  const log: Log = (line) => void process.stdout.write(`${line}\n`);
  const fail = (error: unknown): never => {
    process.stderr.write(
      `bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exit(1);
  };
  const only = arg('--only')?.split(',');
  const unknown = only?.filter((name) => !(SECTIONS as readonly string[]).includes(name)) ?? [];
  if (unknown.length > 0) {
    process.stderr.write(`bench: unknown section ${unknown.join(', ')}; sections: ${SECTIONS.join(', ')}\n`);
    process.exit(2);
  }
  const alone = only?.length === 1 ? only[0] : undefined;
  // `--only several-vaults` alone: that section printed, with its figures tunable (--rotations, --writes…).
  if (alone === 'several-vaults') {
    const number = (name: string, fallback: number): number => Number(arg(name) ?? fallback);
    const base = severalVaultsOptions(size);
    const options = {
      ...base,
      rotations: number('--rotations', base.rotations),
      writeBudget: number('--writes', base.writeBudget),
      otherBudget: number('--others', base.otherBudget),
      concurrency: number('--concurrency', base.concurrency),
      replicas: number('--replicas', base.replicas),
    };
    severalVaults(options).then((r) => {
      process.stdout.write(`${JSON.stringify(r)}\n${severalVaultsSection(r)}\n`);
      process.exit(0);
    }, fail);
  } else if (alone === 'sweeps') {
    // The sweep sections alone, printed (issue 17's memory and Redis figures without the whole bench).
    runSweeps({ size, log }).then((r) => {
      log(sweepSection(r));
      process.exit(0);
    }, fail);
  } else if (only !== undefined) {
    const cpuProfile = arg('--cpu-prof');
    runSections({ size, log, ...(cpuProfile !== undefined && { cpuProfile }) }, only as Section[]).then(
      () => process.exit(0),
      fail,
    );
  } else {
    const out = arg('--out') ?? join(root, 'BENCHMARKS.md');
    runBench({ size, out, chaosFile: join(root, 'CHAOS-RESULTS.md'), log }).then((r) => {
      process.stdout.write(`BENCHMARKS.md written in ${r.totalSeconds} s\n`);
      process.exit(0);
    }, fail);
  }
}
