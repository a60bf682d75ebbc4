import { Option, type Command } from 'commander';
import type { Job } from 'bullmq';
import { RotatorError } from '../../errors';
import { QUEUE } from '../../scheduling';
import { renderTable } from '../output';
import type { CliIo } from '../cli-io';
import { openRuntime } from '../runtime';

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

export function registerJobsCommand(program: Command, io: CliIo): void {
  program
    .command('jobs')
    .description('Queue counts, and failed jobs with their reasons')
    .option('--failed', 'list the failed jobs')
    .option('--limit <n>', 'at most this many failed jobs per queue', '50')
    .addOption(new Option('--output <format>', 'table or json').choices(['table', 'json']).default('table'))
    .addHelpText('after', '\nExamples:\n  rotator jobs\n  rotator jobs --failed --output json\n')
    .action(async (opts: { failed?: boolean; limit: string; output: 'table' | 'json' }) => {
      const limit = Number(opts.limit);
      if (!Number.isInteger(limit) || limit < 1 || limit > 10_000) {
        throw new RotatorError('USAGE_INVALID', `--limit '${opts.limit}' is not a number from 1 to 10000`, {
          hint: 'e.g. --limit 100',
          exitCode: 2,
        });
      }
      const runtime = openRuntime(io.env, { needsVault: false });
      try {
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
        if (opts.output === 'json') {
          io.stdout.write(`${JSON.stringify(opts.failed ? { counts, failed } : { counts })}\n`);
          return;
        }
        io.stdout.write(
          renderTable(
            Object.entries(counts).map(([queue, c]) => ({
              QUEUE: queue,
              ...Object.fromEntries(
                STATES.filter((s) => s !== 'waiting-children').map((s) => [
                  s.toUpperCase(),
                  String(c[s] ?? 0),
                ]),
              ),
            })),
          ),
        );
        if (opts.failed) {
          io.stdout.write(failed.length === 0 ? 'no failed jobs\n' : '\n');
          io.stdout.write(
            renderTable(
              failed.map((f) => ({
                JOB: f.id,
                QUEUE: f.queue,
                SECRET: f.secret ?? '-',
                ATTEMPTS: String(f.attempts),
                'FAILED AT': f.failedAt ?? '-',
                REASON: f.failedReason,
              })),
            ),
          );
        }
      } finally {
        await runtime.close();
      }
    });
}
