import { Option, type Command } from 'commander';
import { loadConfig } from '../../config';
import { RotatorError } from '../../errors';
import { createApiClient } from '../api-client';
import { renderTable } from '../output';
import type { CliIo } from '../cli-io';

interface RequestJson {
  id: string;
  secret: string;
  state: string;
  requester: { id: string; name: string };
  approver?: { id: string; name: string };
  ticket: string;
  duration: string;
  createdAt: string;
  decideBy: string;
  windowEndsAt?: string;
}

function client(io: CliIo): ReturnType<typeof createApiClient> {
  return createApiClient(loadConfig(io.env).access);
}

function needed(value: string | undefined, flag: string, example: string): string {
  if (value === undefined || value.trim() === '') {
    throw new RotatorError('USAGE_INVALID', `${flag} is required`, {
      hint: `e.g. ${flag} ${example}`,
      exitCode: 2,
    });
  }
  return value;
}

function until(request: RequestJson): string {
  if (request.state === 'approved') return request.windowEndsAt ?? '';
  if (request.state === 'pending') return request.decideBy;
  return '';
}

function registerRequest(program: Command, io: CliIo): void {
  program
    .command('request')
    .description('Ask for access to a secret whose policy needs approval; prints the request id')
    .argument('<secret>', 'name of a managed secret')
    .option('--reason <text>', 'why you need it (required)')
    .option('--ticket <id>', 'the service request behind it (required)')
    .option('--duration <iso>', 'the access window, ISO-8601 (default PT1H, at most ROTATOR_ACCESS_MAX)')
    .addHelpText(
      'after',
      '\nExample:\n  rotator request svc-billing --reason "INC-4711 data fix" --ticket INC-4711 --duration PT2H\n',
    )
    .action(async (secret: string, opts: { reason?: string; ticket?: string; duration?: string }) => {
      const created = await client(io).call<RequestJson>('POST', '/v1/requests', {
        secret,
        reason: opts.reason ?? '',
        ticket: opts.ticket ?? '',
        ...(opts.duration !== undefined && { duration: opts.duration }),
      });
      io.stdout.write(`${created.id}\n`);
      io.stderr.write(
        `rotator: request ${created.id} for ${created.secret} is pending until ${created.decideBy}; another approver must approve it\n`,
      );
    });
}

function registerDecisions(program: Command, io: CliIo): void {
  for (const decision of ['approve', 'deny'] as const) {
    program
      .command(decision)
      .description(
        `${decision === 'approve' ? 'Approve' : 'Deny'} someone else's pending request (never your own)`,
      )
      .argument('<request-id>', 'the id rotator request printed')
      .option('--reason <text>', decision === 'deny' ? 'why (required)' : 'why (optional)')
      .action(async (id: string, opts: { reason?: string }) => {
        const reason =
          decision === 'deny' ? needed(opts.reason, '--reason', '"no ticket approval"') : opts.reason;
        const decided = await client(io).call<RequestJson>(
          'POST',
          `/v1/requests/${encodeURIComponent(id)}/${decision}`,
          {
            ...(reason !== undefined && { reason }),
          },
        );
        io.stdout.write(
          `${decided.id} ${decided.state}${decided.state === 'approved' ? ` until ${decided.windowEndsAt ?? ''}` : ''}\n`,
        );
      });
  }
}

function registerRequests(program: Command, io: CliIo): void {
  program
    .command('requests')
    .description('Requests with their state: pending, approved (until when), denied, expired, used')
    .option('--pending', 'only the pending ones')
    .addOption(new Option('--output <format>', 'table or json').choices(['table', 'json']).default('table'))
    .action(async (opts: { pending?: boolean; output: string }) => {
      const { requests } = await client(io).call<{ requests: RequestJson[] }>(
        'GET',
        `/v1/requests${opts.pending === true ? '?pending=true' : ''}`,
      );
      if (opts.output === 'json') {
        io.stdout.write(`${JSON.stringify(requests)}\n`);
        return;
      }
      io.stdout.write(
        renderTable(
          requests.map((r) => ({
            id: r.id,
            secret: r.secret,
            state: r.state,
            until: until(r),
            requester: r.requester.name,
            approver: r.approver?.name ?? '',
            ticket: r.ticket,
            duration: r.duration,
          })),
        ) || 'no requests\n',
      );
    });
}

/** `rotator request|approve|deny|requests`: the access API's requests and decisions, from the CLI. */
export function registerAccessCommands(program: Command, io: CliIo): void {
  registerRequest(program, io);
  registerDecisions(program, io);
  registerRequests(program, io);
}
