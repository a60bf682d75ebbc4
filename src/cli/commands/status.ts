import { Option, type Command } from 'commander';
import { Duration } from 'luxon';
import { isRotatorError, RotatorError } from '../../errors';
import { PENDING_TAGS } from '../../tags';
import { decideDue, ScheduleTagError } from '../../scheduling/due-time';
import { secretKey } from '../../scheduling/job-ids';
import type { SecretOutcome } from '../../scheduling/outcome-store';
import type { SecretProperties } from '../../vault';
import { renderTable } from '../output';
import type { CliIo } from '../program';
import { openRuntime, type CliRuntime } from '../runtime';

export interface SecretStatus {
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
        const wanted = new Set(names.map((n) => n.toLowerCase()));
        const now = runtime.clock.now();
        const defaults = {
          interval: Duration.fromMillis(runtime.config.rotationInterval.ms),
          grace: Duration.fromMillis(runtime.config.usageGrace.ms),
        };
        const outcomes = await outcomesOrNothing(runtime, (s) => io.stderr.write(s));
        const rows: SecretStatus[] = [];
        for (const store of runtime.stores) {
          const managed: SecretProperties[] = [];
          const pending = new Map<string, string>();
          for await (const props of store.list()) {
            const pendingFor = props.tags[PENDING_TAGS.for];
            if (pendingFor !== undefined && props.tags[PENDING_TAGS.state] === 'prepared') {
              pending.set(pendingFor.toLowerCase(), props.tags[PENDING_TAGS.startedAt] ?? '');
            } else if (
              props.tags['rotation-target'] !== undefined &&
              (wanted.size === 0 || wanted.has(props.name.toLowerCase()))
            ) {
              managed.push(props);
            }
          }
          for (const props of managed) {
            const outcome = outcomes.get(secretKey(store.vaultUrl, props.name));
            let due;
            let tagError: string | undefined;
            try {
              due = decideDue({ tags: props.tags, createdOn: props.createdOn }, defaults, now);
            } catch (error) {
              if (!(error instanceof ScheduleTagError)) throw error;
              tagError = error.message;
            }
            const failing =
              ['failed', 'quarantined', 'misconfigured', 'retrying'].includes(outcome?.outcome ?? '') ||
              tagError !== undefined;
            rows.push({
              secret: props.name,
              vault: store.vaultUrl,
              target: props.tags['rotation-target'] ?? '',
              lastRotated: due?.lastRotated.toISO() ?? null,
              nextDue: due?.dueAt.toISO() ?? null,
              forcedRotationAt: due?.forcedAt?.toISO() ?? null,
              rotationInterval: due?.interval.toISO() ?? null,
              lastOutcome: tagError !== undefined ? 'misconfigured' : (outcome?.outcome ?? null),
              lastOutcomeAt: outcome?.at ?? null,
              lastError: tagError ?? outcome?.error ?? null,
              overdue: due?.overdue ?? false,
              failing,
              pendingSince: pending.get(props.name.toLowerCase()) ?? null,
            });
          }
        }
        const missing = names.filter((n) => !rows.some((r) => r.secret.toLowerCase() === n.toLowerCase()));
        const summary = {
          managed: rows.length,
          overdue: rows.filter((r) => r.overdue).length,
          failing: rows.filter((r) => r.failing).length,
          forcedPending: rows.filter((r) => r.forcedRotationAt !== null).length,
        };
        if (opts.output === 'json') {
          io.stdout.write(
            `${JSON.stringify({ generatedAt: now.toISO(), secrets: rows, summary, unknown: missing })}\n`,
          );
        } else {
          const short = (iso: string | null): string => (iso === null ? '-' : iso.replace(/\.\d{3}Z$/, 'Z'));
          io.stdout.write(
            renderTable(
              rows.map((r) => ({
                SECRET: r.secret,
                TARGET: r.target,
                'LAST ROTATED': short(r.lastRotated),
                'NEXT DUE': short(r.nextDue),
                FORCED: short(r.forcedRotationAt),
                'LAST OUTCOME': r.lastOutcome ?? '-',
                OVERDUE: r.overdue ? 'OVERDUE' : '',
                ERROR:
                  r.lastError ??
                  (r.pendingSince !== null ? `interrupted rotation since ${r.pendingSince}` : ''),
              })),
            ),
          );
          io.stdout.write(
            `${summary.managed} managed, ${summary.overdue} overdue, ${summary.failing} failing, ${summary.forcedPending} forced rotations pending\n`,
          );
        }
        if (missing.length > 0) {
          throw new RotatorError('SECRET_NOT_FOUND', `no managed secret named ${missing.join(', ')}`, {
            hint: 'run `rotator status` without names to list the managed secrets',
            exitCode: 2,
          });
        }
      } finally {
        await runtime.close();
      }
    });
}
