import { Option, type Command } from 'commander';
import { DateTime, Duration } from 'luxon';
import { isRotatorError, RotatorError } from '../../errors';
import {
  classifySecret,
  scheduleHorizon,
  secretKey,
  withinHorizon,
  type SecretClass,
  type SecretOutcome,
} from '../../scheduling';
import { parseRetirement, RETIREMENT_TAG } from '../../rotation';
import { TAG } from '../../tags';
import type { SecretProperties } from '../../vault';
import type { CliIo } from '../cli-io';
import { renderTable } from '../output';
import { openRuntime, type CliRuntime } from '../runtime';

interface SecretStatus {
  secret: string;
  vault: string;
  target: string;
  lastRotated: string | null;
  nextDue: string | null;
  forcedRotationAt: string | null;
  rotationInterval: string | null;
  lastOutcome: string | null;
  lastOutcomeAt: string | null;
  lastError: string | null;
  overdue: boolean;
  failing: boolean;
  /** An interrupted rotation awaiting recovery, with when it started. */
  pendingSince: string | null;
  /** When the previous credential stops working (its overlap ends); null when none overlaps. */
  overlapEnd: string | null;
  /** The last rotation's retirement proof: pending, proven or unproven (with its reason). */
  retirement: string | null;
  retirementReason: string | null;
}

async function outcomesOrNothing(
  runtime: CliRuntime,
  warn: (s: string) => void,
): Promise<Map<string, SecretOutcome>> {
  try {
    return await (await runtime.outcomes()).all();
  } catch (error) {
    // Key Vault is the source of truth: without Redis, status still shows the schedule.
    warn(
      `rotator: warning: ${isRotatorError(error) ? error.message : 'Redis unavailable'}; last outcomes not shown\n`,
    );
    return new Map();
  }
}

interface Listed {
  vault: string;
  props: SecretProperties;
  found: Exclude<SecretClass, { kind: 'pending-record' | 'unmanaged' }>;
}

/** Lists every vault once: the managed secrets asked for, and when each interrupted rotation started. */
async function listVaults(
  runtime: CliRuntime,
  wanted: Set<string>,
  now: DateTime,
): Promise<{ listed: Listed[]; pending: Map<string, string> }> {
  const defaults = {
    interval: Duration.fromMillis(runtime.config.rotationInterval.ms),
    grace: Duration.fromMillis(runtime.config.usageGrace.ms),
  };
  const listed: Listed[] = [];
  const pending = new Map<string, string>();
  for (const store of runtime.stores) {
    for await (const props of store.list()) {
      const found = classifySecret(props, defaults, now);
      if (found.kind === 'pending-record') {
        if (found.prepared)
          pending.set(`${store.vaultUrl}|${found.pendingFor.toLowerCase()}`, found.startedAt ?? '');
      } else if (found.kind !== 'unmanaged' && (wanted.size === 0 || wanted.has(props.name.toLowerCase()))) {
        listed.push({ vault: store.vaultUrl, props, found });
      }
    }
  }
  return { listed, pending };
}

const FAILING: readonly string[] = ['failed', 'quarantined', 'misconfigured', 'retrying', 'retire-failed'];

function statusRow(
  { vault, props, found }: Listed,
  outcome: SecretOutcome | undefined,
  pendingSince: string | undefined,
): SecretStatus {
  const due = found.kind === 'managed' ? found.due : undefined;
  const tagError = found.kind === 'misconfigured' ? found.error.message : undefined;
  const retirement = parseRetirement(props.tags[RETIREMENT_TAG]);
  return {
    secret: props.name,
    vault,
    target: props.tags[TAG.target] ?? '',
    lastRotated: due?.lastRotated.toISO() ?? null,
    nextDue: due?.dueAt.toISO() ?? null,
    forcedRotationAt: due?.forcedAt?.toISO() ?? null,
    rotationInterval: due?.interval.toISO() ?? null,
    lastOutcome: tagError !== undefined ? 'misconfigured' : (outcome?.outcome ?? null),
    lastOutcomeAt: outcome?.at ?? null,
    lastError: tagError ?? outcome?.error ?? null,
    overdue: due?.overdue ?? false,
    failing:
      FAILING.includes(outcome?.outcome ?? '') || tagError !== undefined || retirement?.state === 'unproven',
    pendingSince: pendingSince ?? null,
    overlapEnd: retirement?.state === 'pending' ? retirement.at : null,
    retirement: retirement?.state ?? null,
    retirementReason: retirement?.reason ?? null,
  };
}

/** `horizon`: rotations due within it have a delayed job in Redis; later ones only their tags in Key Vault. */
function summarize(rows: SecretStatus[], now: DateTime, horizon: Duration) {
  const queued = (r: SecretStatus): boolean =>
    r.nextDue !== null && withinHorizon(DateTime.fromISO(r.nextDue, { zone: 'utc' }), now, horizon);
  return {
    managed: rows.length,
    horizon: horizon.toISO(),
    dueWithinHorizon: rows.filter(queued).length,
    overdue: rows.filter((r) => r.overdue).length,
    failing: rows.filter((r) => r.failing).length,
    forcedPending: rows.filter((r) => r.forcedRotationAt !== null).length,
    overlapping: rows.filter((r) => r.overlapEnd !== null).length,
    unproven: rows.filter((r) => r.retirement === 'unproven').length,
  };
}

function renderStatusTable(rows: SecretStatus[], summary: ReturnType<typeof summarize>): string {
  const short = (iso: string | null): string => (iso === null ? '-' : iso.replace(/\.\d{3}Z$/, 'Z'));
  const table = renderTable(
    rows.map((r) => ({
      SECRET: r.secret,
      TARGET: r.target,
      'LAST ROTATED': short(r.lastRotated),
      'NEXT DUE': short(r.nextDue),
      FORCED: short(r.forcedRotationAt),
      'LAST OUTCOME': r.lastOutcome ?? '-',
      'OVERLAP END': short(r.overlapEnd),
      RETIREMENT: r.retirement ?? '-',
      OVERDUE: r.overdue ? 'OVERDUE' : '',
      ERROR:
        r.lastError ??
        (r.pendingSince !== null
          ? `interrupted rotation since ${r.pendingSince}`
          : r.retirementReason !== null
            ? `retirement unproven: ${r.retirementReason}`
            : ''),
    })),
  );
  return `${table}${summary.managed} managed, ${summary.overdue} overdue, ${summary.failing} failing, ${summary.forcedPending} forced rotations pending, ${summary.overlapping} in overlap, ${summary.unproven} retirements unproven, ${summary.dueWithinHorizon} due within ${summary.horizon} (queued by the sweep; the rest wait in Key Vault)\n`;
}

async function showStatus(
  io: CliIo,
  runtime: CliRuntime,
  names: string[],
  output: 'table' | 'json',
): Promise<void> {
  const wanted = new Set(names.map((n) => n.toLowerCase()));
  const now = runtime.clock.now();
  const outcomes = await outcomesOrNothing(runtime, (s) => io.stderr.write(s));
  const { listed, pending } = await listVaults(runtime, wanted, now);
  const rows = listed.map((item) =>
    statusRow(
      item,
      outcomes.get(secretKey(item.vault, item.props.name)),
      pending.get(`${item.vault}|${item.props.name.toLowerCase()}`),
    ),
  );
  const missing = names.filter((n) => !rows.some((r) => r.secret.toLowerCase() === n.toLowerCase()));
  const summary = summarize(rows, now, scheduleHorizon(Duration.fromMillis(runtime.config.sweepInterval.ms)));
  if (output === 'json') {
    io.stdout.write(
      `${JSON.stringify({ generatedAt: now.toISO(), secrets: rows, summary, unknown: missing })}\n`,
    );
  } else {
    io.stdout.write(renderStatusTable(rows, summary));
  }
  if (missing.length > 0) {
    throw new RotatorError('SECRET_NOT_FOUND', `no managed secret named ${missing.join(', ')}`, {
      hint: 'run `rotator status` without names to list the managed secrets',
      exitCode: 2,
    });
  }
}

export function registerStatusCommand(program: Command, io: CliIo): void {
  program
    .command('status')
    .description(
      'Per managed secret: target, last rotated, next due, pending forced rotation, last outcome, overdue',
    )
    .argument('[secrets...]', 'only these secrets (default: all managed)')
    .addOption(new Option('--output <format>', 'table or json').choices(['table', 'json']).default('table'))
    .addHelpText('after', '\nExamples:\n  rotator status\n  rotator status svc-orders-api --output json\n')
    .action(async (names: string[], opts: { output: 'table' | 'json' }) => {
      const runtime = openRuntime(io.env);
      try {
        await showStatus(io, runtime, names, opts.output);
      } finally {
        await runtime.close();
      }
    });
}
