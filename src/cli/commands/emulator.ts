import { InvalidArgumentError, type Command } from 'commander';
import { parsePort } from '../arguments';
import type { CliIo } from '../cli-io';

interface EmulatorFlags {
  port: number;
  data?: string;
  throttleBudget?: number;
  writeBudget?: number;
  otherBudget?: number;
  throttleWindow: number;
  retryAfter: boolean;
  errorRate?: number;
  latency?: number;
  settleMs: number;
  emptyPages?: number;
  rbac?: string;
  workspaceId?: string;
  ingestionDelay?: number;
}

function parseCount(text: string): number {
  const value = Number(text);
  if (!/^\d+$/.test(text)) throw new InvalidArgumentError(`'${text}' is not a whole number`);
  return value;
}

function parseGuid(text: string): string {
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(text))
    throw new InvalidArgumentError(
      `'${text}' is not a workspace id; use a GUID such as 00000000-0000-4000-8000-00000000a0d1`,
    );
  return text.toLowerCase();
}

function parseFraction(text: string): number {
  const value = Number(text);
  if (!/^(0(\.\d+)?|1(\.0+)?)$/.test(text))
    throw new InvalidArgumentError(`'${text}' is not a fraction from 0 to 1`);
  return value;
}

/** Below 1: at 1 every list request would be an empty page and a client following nextLink never ends. */
function parseEmptyPageRate(text: string): number {
  const value = parseFraction(text);
  if (value > 0.9) throw new InvalidArgumentError(`'${text}' is above 0.9; a client would page forever`);
  return value;
}

/** Resolves on the first SIGINT or SIGTERM, listening from now on. */
function stopSignal(): Promise<void> {
  return new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
}

/** Runs the emulator with the faults asked for, until SIGINT or SIGTERM. */
async function serveEmulator(io: CliIo, opts: EmulatorFlags): Promise<void> {
  // Listening before anything else: the JSON line tells a supervisor it may signal, and a SIGTERM
  // that arrived before a handler existed would end the process at once, exit code none, nothing closed.
  const stopped = stopSignal();
  // Loaded only here: the emulator (and node-forge, for its certificates) is no part of a daemon's memory.
  const { runEmulatorCommand } = await import('../../emulator/index.js');
  const emulator = await runEmulatorCommand({
    port: opts.port,
    dataFile: opts.data,
    settleMs: opts.settleMs,
    rbacFile: opts.rbac,
    workspaceId: opts.workspaceId,
    ingestionDelayMs: opts.ingestionDelay,
    stdout: io.stdout,
  });
  const throttled =
    opts.throttleBudget !== undefined || opts.writeBudget !== undefined || opts.otherBudget !== undefined;
  emulator.setFaults({
    ...(throttled && { throttleWindowMs: opts.throttleWindow, throttleRetryAfter: opts.retryAfter }),
    ...(opts.throttleBudget !== undefined && { throttleBudget: opts.throttleBudget }),
    ...(opts.writeBudget !== undefined && { writeBudget: opts.writeBudget }),
    ...(opts.otherBudget !== undefined && { otherBudget: opts.otherBudget }),
    ...(opts.errorRate !== undefined && { errorRate: opts.errorRate }),
    ...(opts.latency !== undefined && { latencyMs: opts.latency }),
    ...(opts.emptyPages !== undefined && { emptyPageRate: opts.emptyPages }),
  });
  // Serve until told to stop; closing lets an in-flight write finish before exit.
  await stopped;
  await emulator.close().catch(() => undefined);
}

/** Throttling and injected failures, as a vault under load answers. */
function addFaultOptions(command: Command): Command {
  return command
    .option(
      '--throttle-budget <n>',
      'requests per window before 429, like a vault (Key Vault: 300 PUT / 10 s)',
      parseCount,
    )
    .option(
      '--write-budget <n>',
      'secret writes (PUT, PATCH, DELETE, POST) per window before 429 (Key Vault: 300 / 10 s)',
      parseCount,
    )
    .option(
      '--other-budget <n>',
      'other operations per window before 429, counted apart from writes (Key Vault: 4000 / 10 s)',
      parseCount,
    )
    .option('--throttle-window <ms>', 'the throttling window in ms', parseCount, 10_000)
    .option('--no-retry-after', 'throttle without a Retry-After header, as real 429s have been seen')
    .option(
      '--error-rate <fraction>',
      'answer this fraction (0..1) of requests with 429 or 503 at random',
      parseFraction,
    )
    .option('--latency <ms>', 'add this many ms to every request', parseCount);
}

export function registerEmulatorCommand(program: Command, io: CliIo): void {
  const command = program
    .command('emulator')
    .description(
      'Run the Key Vault emulator over HTTPS; prints {"url","caFile","logsUrl","workspaceId"} as one JSON line once it listens',
    )
    .option('--port <n>', 'port to listen on (0 picks a free one)', parsePort, 8443)
    .option('--data <file>', 'keep state in this file across restarts');
  addFaultOptions(command)
    .option(
      '--settle-ms <ms>',
      'delete, recover and purge finish this long after they are answered, as Key Vault does them asynchronously (0 = at once)',
      parseCount,
      1000,
    )
    .option(
      '--empty-pages <fraction>',
      'answer this fraction (0..0.9) of list requests with an empty page that still has a nextLink',
      parseEmptyPageRate,
    )
    .option(
      '--rbac <file>',
      'verify tokens against the issuer in this JSON/YAML file and enforce its Key Vault role assignments',
    )
    .option('--workspace-id <guid>', 'the Log Analytics workspace id its query API answers for', parseGuid)
    .option(
      '--ingestion-delay <ms>',
      'delay before a request shows in the query API, like Log Analytics',
      parseCount,
    )
    .addHelpText(
      'after',
      '\nExample:\n  rotator emulator --port 8443 --data .rotator/vault.json\n' +
        '  rotator emulator --port 0 --throttle-budget 300 --error-rate 0.1 --latency 20\n' +
        '  rotator emulator --port 0 --rbac rbac.json --ingestion-delay 30000\n' +
        '  export ROTATOR_VAULT_URL=<url> ROTATOR_VAULT_CA_FILE=<caFile> ROTATOR_VAULT_TOKEN=dev\n',
    )
    .action((opts: EmulatorFlags) => serveEmulator(io, opts));
}
