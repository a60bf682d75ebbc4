import { Option, type Command } from 'commander';
import { userInfo } from 'node:os';
import type { Job, Queue } from 'bullmq';
import { RotatorError } from '../../errors';
import { isManaged } from '../../tags';
import type { RotationJobData, RotationJobResult } from '../../scheduling';
import type { CliIo } from '../cli-io';
import { findSecret, openRuntime, type CliRuntime } from '../runtime';
import { parseDurationOption } from '../arguments';

interface RotateOptions {
  all?: boolean;
  reason?: string;
  wait?: boolean;
  timeout: string;
  output: 'table' | 'json';
}

interface Queued {
  secret: string;
  vault: string;
  jobId: string;
}

interface Finished extends Queued {
  state: 'completed' | 'failed' | 'timeout';
  outcome?: string;
  rotationId?: string;
  error?: string;
}

async function targets(
  runtime: CliRuntime,
  names: string[],
  all: boolean,
): Promise<Array<{ vault: string; secret: string }>> {
  if (all) {
    const found = [];
    for (const store of runtime.stores) {
      for await (const props of store.list()) {
        if (isManaged(props.tags)) found.push({ vault: store.vaultUrl, secret: props.name });
      }
    }
    return found;
  }
  const found = [];
  for (const name of names) {
    const { store, secret } = await findSecret(runtime, name);
    found.push({ vault: store.vaultUrl, secret: secret.name });
  }
  return found;
}

async function follow(
  queue: Queue<RotationJobData>,
  queued: Queued,
  deadline: number,
  progress: (line: string) => void,
): Promise<Finished> {
  let last = '';
  for (;;) {
    const job: Job<RotationJobData, RotationJobResult> | undefined = await queue.getJob(queued.jobId);
    const state = job === undefined ? 'unknown' : await job.getState();
    const note =
      state === 'delayed' && (job?.attemptsMade ?? 0) > 0 ? ` (retrying: ${job?.failedReason ?? ''})` : '';
    if (`${state}${note}` !== last) {
      last = `${state}${note}`;
      progress(`${queued.secret}: ${state}${note}`);
    }
    if (state === 'completed' && job !== undefined) {
      const result = job.returnvalue;
      return { ...queued, state: 'completed', outcome: result?.outcome, rotationId: result?.rotationId };
    }
    if (state === 'failed') return { ...queued, state: 'failed', error: job?.failedReason };
    if (Date.now() > deadline) return { ...queued, state: 'timeout' };
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** Queues one manual job per secret, under ids that make a repeat of the command a no-op. */
async function queueManual(runtime: CliRuntime, names: string[], opts: RotateOptions): Promise<Queued[]> {
  const chosen = await targets(runtime, names, opts.all === true);
  const scheduler = await runtime.scheduler();
  const now = runtime.clock.now();
  const actor = userInfo().username;
  const jobs = chosen.map(({ vault, secret }) =>
    scheduler.plan(
      'manual',
      vault,
      secret,
      { triggeredAt: now, dueAt: now, idStamp: now },
      { requestedBy: actor, note: opts.reason },
    ),
  );
  await scheduler.add(jobs);
  return jobs.map((j) => ({ secret: j.data.secret, vault: j.data.vault, jobId: j.id }));
}

function describeFinished(f: Finished): string {
  const detail =
    f.state === 'completed'
      ? `${f.outcome ?? ''} (rotation ${f.rotationId ?? '-'})`
      : f.state === 'failed'
        ? `FAILED: ${f.error ?? ''}`
        : 'still running when --timeout expired';
  return `${f.secret}: ${detail}\n`;
}

/** Follows every queued job to its end (or the timeout) and fails when any did not succeed. */
async function waitForAll(
  io: CliIo,
  runtime: CliRuntime,
  queued: Queued[],
  opts: RotateOptions,
  timeoutMs: number,
): Promise<void> {
  const queue = await runtime.rotations();
  if ((await queue.getWorkersCount()) === 0) {
    io.stderr.write('rotator: warning: no daemon is consuming the rotations queue; start `rotator daemon`\n');
  }
  const deadline = Date.now() + timeoutMs;
  const progress = (line: string): void => {
    if (opts.output === 'table') io.stderr.write(`${line}\n`);
  };
  const finished = await Promise.all(queued.map((q) => follow(queue, q, deadline, progress)));
  if (opts.output === 'json') io.stdout.write(`${JSON.stringify({ results: finished })}\n`);
  else for (const f of finished) io.stdout.write(describeFinished(f));
  const bad = finished.filter((f) => f.state !== 'completed');
  if (bad.length > 0) {
    throw new RotatorError(
      'ROTATION_FAILED',
      `${bad.length} of ${finished.length} rotations did not succeed: ${bad.map((b) => b.secret).join(', ')}`,
      { hint: 'see `rotator jobs --failed` for reasons; `rotator retry <job-id>` re-queues' },
    );
  }
}

async function rotate(io: CliIo, names: string[], opts: RotateOptions): Promise<void> {
  if ((names.length === 0) === !opts.all) {
    throw new RotatorError('USAGE_INVALID', 'name the secrets to rotate, or pass --all (not both)', {
      hint: 'e.g. rotator rotate svc-orders-api, or rotator rotate --all',
      exitCode: 2,
    });
  }
  const timeoutMs = parseDurationOption('--timeout', opts.timeout);
  const runtime = openRuntime(io.env);
  try {
    const queued = await queueManual(runtime, names, opts);
    if (opts.wait) return await waitForAll(io, runtime, queued, opts, timeoutMs);
    if (opts.output === 'json') io.stdout.write(`${JSON.stringify({ queued })}\n`);
    else for (const q of queued) io.stdout.write(`queued ${q.secret} (job ${q.jobId})\n`);
  } finally {
    await runtime.close();
  }
}

export function registerRotateCommand(program: Command, io: CliIo): void {
  program
    .command('rotate')
    .description('Queue a manual rotation of secrets; --wait follows each to the end')
    .argument('[secrets...]', 'names of managed secrets')
    .option('--all', 'every managed secret of every configured vault')
    .option('--reason <text>', 'why, kept with the job and in the audit trail')
    .option('--wait', 'wait for each rotation to finish; exit 1 if any failed')
    .option('--timeout <duration>', 'how long --wait waits (ISO-8601)', 'PT10M')
    .addOption(new Option('--output <format>', 'table or json').choices(['table', 'json']).default('table'))
    .addHelpText(
      'after',
      '\nExamples:\n  rotator rotate svc-orders-api --reason "suspected leak" --wait\n  rotator rotate --all\n',
    )
    .action((names: string[], opts: RotateOptions) => rotate(io, names, opts));
}
