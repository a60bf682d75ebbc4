import { randomUUID } from 'node:crypto';
import { userInfo } from 'node:os';
import type { Command } from 'commander';
import { DateTime, Duration } from 'luxon';
import { loadConfig, type Config } from '../../config';
import { RotatorError } from '../../errors';
import { decideCheckout, type UsageEvent } from '../../scheduling';
import { createApiClient } from '../api-client';
import type { CliIo } from '../cli-io';
import { findSecret, openRuntime } from '../runtime';

interface CheckoutOptions {
  reason?: string;
  actor?: string;
  ticket?: string;
  request?: string;
}

interface BrokeredCheckout {
  secret: string;
  vault: string;
  value: string;
  checkoutId: string;
  forcedAt: string;
  requestId?: string;
}

/** Through the access API: who you are comes from your token, and the daemon records the usage first. */
async function brokeredCheckout(
  name: string,
  opts: CheckoutOptions,
  io: CliIo,
  config: Config,
): Promise<void> {
  if (opts.actor !== undefined) {
    throw new RotatorError('USAGE_INVALID', '--actor is refused when ROTATOR_API_URL is set', {
      hint: 'drop --actor: who you are comes from your Entra token',
      exitCode: 2,
    });
  }
  const client = createApiClient(config.access);
  const result = await client.call<BrokeredCheckout>(
    'POST',
    `/v1/secrets/${encodeURIComponent(name)}/checkout`,
    {
      reason: opts.reason ?? '',
      ticket: opts.ticket ?? '',
      ...(opts.request !== undefined && { requestId: opts.request }),
    },
  );
  io.stdout.write(`${result.value}\n`);
  io.stderr.write(
    `rotator: checked out ${result.secret} (${result.vault}) for ticket ${opts.ticket ?? ''}` +
      `${result.requestId === undefined ? '' : ` under request ${result.requestId}`}; ` +
      `forced rotation at ${result.forcedAt} (checkout ${result.checkoutId})\n`,
  );
}

/** The reason and actor of a checkout, checked before anything is read or recorded. */
function checkoutInput(opts: CheckoutOptions): { reason: string; actor: string } {
  const why = opts.reason?.trim() ?? '';
  // The usage event has no ticket field; the direct form keeps it in the reason.
  const reason = opts.ticket === undefined || why === '' ? why : `${why} [ticket ${opts.ticket.trim()}]`;
  if (reason === '') {
    throw new RotatorError('USAGE_INVALID', 'a checkout needs --reason', {
      hint: 'say why, e.g. --reason "INC-4711 data fix"; it is kept in the audit trail',
      exitCode: 2,
    });
  }
  const actor = (opts.actor ?? userInfo().username).trim();
  if (actor === '' || actor.length > 256 || reason.length > 1024) {
    throw new RotatorError('USAGE_INVALID', '--actor must be 1-256 characters and --reason at most 1024', {
      hint: 'shorten the text',
      exitCode: 2,
    });
  }
  return { reason, actor };
}

export function registerCheckoutCommand(program: Command, io: CliIo): void {
  program
    .command('checkout')
    .description(
      'Just-in-time checkout: print the current value; a forced rotation follows after the usage grace',
    )
    .argument('<secret>', 'name of a managed secret')
    .option('--reason <text>', 'why you need it (required; kept in the audit trail)')
    .option('--ticket <id>', 'the service request behind this use (required through the access API)')
    .option('--request <id>', 'the approved request to use (default: your approved one for this secret)')
    .option('--actor <name>', 'direct mode only: who uses it (default: the OS user)')
    .addHelpText(
      'after',
      '\nExample (the value alone goes to stdout):\n  PGPASSWORD=$(rotator checkout svc-reporting --reason "INC-4711 data fix") psql …\n',
    )
    .action(async (name: string, opts: CheckoutOptions) => {
      const config = loadConfig(io.env);
      if (config.access.apiUrl !== undefined) return brokeredCheckout(name, opts, io, config);
      const { reason, actor } = checkoutInput(opts);
      const runtime = openRuntime(io.env);
      try {
        const { store, secret } = await findSecret(runtime, name);
        const at = DateTime.utc();
        const event: UsageEvent = {
          secret: secret.name,
          vault: store.vaultUrl,
          actor,
          reason,
          at: at.toISO() ?? '',
          checkoutId: randomUUID(),
        };
        // The usage is recorded before the value is shown: an unrecorded checkout must never happen.
        const usage = await runtime.usage();
        await usage.add('checkout', event, {
          jobId: `checkout.${event.checkoutId ?? ''}`,
          attempts: 5,
          backoff: { type: 'exponential', delay: 1_000 },
          removeOnComplete: { age: 30 * 24 * 3600 },
          removeOnFail: { age: 90 * 24 * 3600 },
        });
        const decision = decideCheckout(secret, at, Duration.fromMillis(runtime.config.usageGrace.ms));
        const forcedAt = decision.satisfied ? at.plus(runtime.config.usageGrace.ms) : decision.forcedAt;
        io.stdout.write(`${secret.value}\n`);
        io.stderr.write(
          `rotator: ${actor} checked out ${secret.name} (${store.vaultUrl}) at ${at.toISO() ?? ''} for "${reason}"; ` +
            `forced rotation at ${forcedAt.toISO() ?? ''} (checkout ${event.checkoutId ?? ''})\n`,
        );
      } finally {
        await runtime.close();
      }
    });
}
