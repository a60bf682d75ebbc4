import type { Command } from 'commander';
import { RotatorError } from '../../errors';
import type { CliIo } from '../cli-io';
import { openRuntime } from '../runtime';

export function registerRetryCommand(program: Command, io: CliIo): void {
  program
    .command('retry')
    .description('Re-queue a failed (or quarantined) rotation')
    .argument('[job-id]', 'the id shown by `rotator jobs --failed`')
    .option('--all-failed', 'every failed rotation')
    .addHelpText(
      'after',
      '\nExamples:\n  rotator retry manual.svc-orders-api.1a2b3c4d.1795400000000\n  rotator retry --all-failed\n',
    )
    .action(async (jobId: string | undefined, opts: { allFailed?: boolean }) => {
      if ((jobId === undefined) === !opts.allFailed) {
        throw new RotatorError('USAGE_INVALID', 'give one job id, or --all-failed (not both)', {
          hint: 'list failed jobs with `rotator jobs --failed`',
          exitCode: 2,
        });
      }
      const runtime = openRuntime(io.env, { needsVault: false });
      try {
        const queue = await runtime.rotations();
        if (opts.allFailed) {
          const count = await queue.getFailedCount();
          await queue.retryJobs({ state: 'failed', count: 1000 });
          io.stdout.write(`re-queued ${count} failed rotation${count === 1 ? '' : 's'}\n`);
          return;
        }
        const job = await queue.getJob(jobId as string);
        if (job === undefined) {
          throw new RotatorError('JOB_NOT_FOUND', `no rotation job ${jobId ?? ''}`, {
            hint: 'list failed jobs with `rotator jobs --failed`',
            exitCode: 2,
          });
        }
        const state = await job.getState();
        if (state !== 'failed') {
          throw new RotatorError(
            'USAGE_INVALID',
            `job ${jobId ?? ''} is ${state}; only failed jobs can be retried`,
            {
              hint: 'see `rotator jobs` for its state',
              exitCode: 2,
            },
          );
        }
        await job.retry('failed');
        io.stdout.write(`re-queued ${jobId ?? ''} (${(job.data as { secret?: string }).secret ?? ''})\n`);
      } finally {
        await runtime.close();
      }
    });
}
