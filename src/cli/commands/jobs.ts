import { Option, type Command } from 'commander';
import type { Job } from 'bullmq';
import { RotatorError } from '../../errors';
import { QUEUE } from '../../scheduling';
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
    if (opts.output === 'json') {
      io.stdout.write(`${JSON.stringify(opts.failed ? { counts, failed } : { counts })}\n`);
      return;
    }
    io.stdout.write(renderJobs(counts, opts.failed ? failed : undefined));
  } finally {
    await runtime.close();
  }
}

export function registerJobsCommand(program: Command, io: CliIo): void {
  program
    .command('jobs')
    .description('Queue counts, and failed jobs with their reasons')
    .option('--failed', 'list the failed jobs')
    .option('--limit <n>', 'at most this many failed jobs per queue', '50')
    .addOption(new Option('--output <format>', 'table or json').choices(['table', 'json']).default('table'))
    .addHelpText('after', '\nExamples:\n  rotator jobs\n  rotator jobs --failed --output json\n')
    .action((opts: JobsOptions) => showJobs(io, opts));
}
