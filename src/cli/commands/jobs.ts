import { Option, type Command } from 'commander';
import type { Job } from 'bullmq';
import { RotatorError } from '../../errors';
import { FleetSnapshotStore, QUEUE, type FleetHeader } from '../../scheduling';
import { renderTable } from '../output';
import type { CliIo } from '../cli-io';
import { openRuntime, type CliRuntime } from '../runtime';

const STATES = [
  'waiting',
  'delayed',
  'active',
  'completed',
  'failed',
  'prioritized',
  'waiting-children',
] as const;

interface FailedJob {
  queue: string;
  id: string;
  secret: string | null;
  reason: string | null;
  failedReason: string;
  attempts: number;
  failedAt: string | null;
}

function describeFailed(queue: string, job: Job): FailedJob {
  const data = (job.data ?? {}) as { secret?: unknown; reason?: unknown };
  return {
    queue,
    id: job.id ?? '',
    secret: typeof data.secret === 'string' ? data.secret : null,
    reason: typeof data.reason === 'string' ? data.reason : null,
    failedReason: job.failedReason,
    attempts: job.attemptsMade,
    failedAt: job.finishedOn === undefined ? null : new Date(job.finishedOn).toISOString(),
  };
}

interface JobsOptions {
  failed?: boolean;
  limit: string;
  output: 'table' | 'json';
}

/**
 * What the last sweep queued and left to Key Vault: scheduled rotations have a job only when due
 * within the horizon, so the queue counts alone would hide every secret due later.
 */
interface ScheduleView {
  sweptAt: string;
  horizon: string;
  queued: number;
  beyondHorizon: number;
  nextBeyond: string | null;
}

async function lastSweep(runtime: CliRuntime): Promise<ScheduleView | null> {
  const header: FleetHeader | undefined = await new FleetSnapshotStore(
    await runtime.redis(),
    runtime.config.queuePrefix,
  )
    .readHeader()
    // A snapshot written by an older version (a plain string) until the next sweep rewrites it.
    .catch(() => undefined);
  if (header?.schedule === undefined) return null;
  const { horizon, queued, beyondHorizon, nextBeyond } = header.schedule;
  return { sweptAt: header.at, horizon, queued, beyondHorizon, nextBeyond: nextBeyond ?? null };
}

function renderSchedule(schedule: ScheduleView | null): string {
  if (schedule === null)
    return 'no sweep has recorded its schedule yet; `rotator status` lists every due time\n';
  const next = schedule.nextBeyond === null ? '' : ` (the earliest ${schedule.nextBeyond})`;
  return (
    `last sweep ${schedule.sweptAt}: ${schedule.queued} secrets due within ${schedule.horizon} have a delayed job; ` +
    `${schedule.beyondHorizon} due later have none yet${next}: Key Vault holds their due times, ` +
    'a later sweep queues each, and `rotator status` shows every one\n'
  );
}

async function collect(
  runtime: CliRuntime,
  opts: JobsOptions,
  limit: number,
): Promise<{ counts: Record<string, Record<string, number>>; failed: FailedJob[] }> {
  const queues = { [QUEUE.rotations]: await runtime.rotations(), [QUEUE.usage]: await runtime.usage() };
  const counts: Record<string, Record<string, number>> = {};
  const failed: FailedJob[] = [];
  for (const [name, queue] of Object.entries(queues)) {
    counts[name] = await queue.getJobCounts(...STATES);
    if (opts.failed) {
      const jobs = (await queue.getFailed(0, limit - 1)) as Job[];
      failed.push(...jobs.filter((j) => j !== undefined).map((j) => describeFailed(name, j)));
    }
  }
  return { counts, failed };
}

function renderJobs(counts: Record<string, Record<string, number>>, failed: FailedJob[] | undefined): string {
  const shown = STATES.filter((s) => s !== 'waiting-children');
  let text = renderTable(
    Object.entries(counts).map(([queue, c]) => ({
      QUEUE: queue,
      ...Object.fromEntries(shown.map((s) => [s.toUpperCase(), String(c[s] ?? 0)])),
    })),
  );
  if (failed === undefined) return text;
  text += failed.length === 0 ? 'no failed jobs\n' : '\n';
  return (
    text +
    renderTable(
      failed.map((f) => ({
        JOB: f.id,
        QUEUE: f.queue,
        SECRET: f.secret ?? '-',
        ATTEMPTS: String(f.attempts),
        'FAILED AT': f.failedAt ?? '-',
        REASON: f.failedReason,
      })),
    )
  );
}

async function showJobs(io: CliIo, opts: JobsOptions): Promise<void> {
  const limit = Number(opts.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > 10_000) {
    throw new RotatorError('USAGE_INVALID', `--limit '${opts.limit}' is not a number from 1 to 10000`, {
      hint: 'e.g. --limit 100',
      exitCode: 2,
    });
  }
  const runtime = openRuntime(io.env, { needsVault: false });
  try {
    const { counts, failed } = await collect(runtime, opts, limit);
    const schedule = await lastSweep(runtime);
    if (opts.output === 'json') {
      io.stdout.write(
        `${JSON.stringify(opts.failed ? { counts, schedule, failed } : { counts, schedule })}\n`,
      );
      return;
    }
    io.stdout.write(renderJobs(counts, opts.failed ? failed : undefined) + renderSchedule(schedule));
  } finally {
    await runtime.close();
  }
}

export function registerJobsCommand(program: Command, io: CliIo): void {
  program
    .command('jobs')
    .description(
      'Queue counts, what the last sweep queued and left to Key Vault (beyond the horizon), and failed jobs',
    )
    .option('--failed', 'list the failed jobs')
    .option('--limit <n>', 'at most this many failed jobs per queue', '50')
    .addOption(new Option('--output <format>', 'table or json').choices(['table', 'json']).default('table'))
    .addHelpText('after', '\nExamples:\n  rotator jobs\n  rotator jobs --failed --output json\n')
    .action((opts: JobsOptions) => showJobs(io, opts));
}
