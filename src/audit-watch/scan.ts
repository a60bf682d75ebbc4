import { DateTime, type Duration } from 'luxon';
import type { Logger } from 'pino';
import type { Clock } from '../clock';
import type { RecordedUsage, UsageToRecord } from '../scheduling';
import type { SecretStore } from '../vault';
import type { AuditRow } from './audit-row';
import { buildAuditQuery } from './kql';
import type { AuditLogSource } from './log-analytics';
import {
  describeActor,
  judge,
  locate,
  parseReaders,
  type LocatedRead,
  type SecretFacts,
  type SelfIdentity,
} from './read-decision';
import type { WatchState } from './watch-state';

/** The reason every use found in the audit log carries, in the job and the audit record. */
export const UNBROKERED_REASON = 'read outside the rotator';

export interface ScanDeps {
  source: AuditLogSource;
  state: WatchState;
  stores: readonly SecretStore[];
  /** The usage listener's recording path (recordUsage), bound to its scheduler and lock. */
  record: (store: SecretStore, usage: UsageToRecord) => Promise<RecordedUsage | undefined>;
  clock: Clock;
  self: SelfIdentity;
  isRotatorRequestId: (id: string) => boolean;
  requestIdPrefix: string;
  logger: Logger;
  /** Rows may be ingested this long after their own time; every scan reads this far back again. */
  overlap: Duration;
  /** Without a watermark (first start, Redis lost), the scan starts this far back. */
  lookback: Duration;
  /** Rows stamped this far in our future (a log clock ahead of ours) are read at once. */
  futureSkew: Duration;
  pageSize: number;
  /** Pages per scan; the rest is read by the next scan. */
  maxPages: number;
  /** Telemetry: one call per secret and reader found using it (the audit record, the metric). */
  onUse?: (finding: UseFinding) => void;
}

/** The reads of one secret by one reader, found by one scan. */
export interface UseFinding {
  vault: string;
  secret: string;
  actor: string;
  actorId: string | undefined;
  reads: number;
  firstReadAt: string;
  /** The forced rotation's due time, or undefined when a rotation after the reads satisfied them. */
  forcedAt: string | undefined;
  satisfied: boolean;
}

export interface ScanSummary {
  from: string;
  to: string;
  pages: number;
  rows: number;
  uses: number;
  routine: number;
  ignored: number;
  secretsUsed: number;
  failed: number;
}

interface SecretUses {
  store: SecretStore;
  secret: string;
  reads: LocatedRead[];
}

/**
 * One scan of the audit log: reads the rows since the watermark (less the overlap window), judges each
 * read, records each secret's earliest new use through the usage path (so the forced rotation follows the
 * same rule as a checkout, counted from the read's own time), then moves the watermark. A read whose use
 * could not be recorded is given back and the watermark held before it, so it is read again.
 */
export async function scanAuditLog(deps: ScanDeps): Promise<ScanSummary> {
  const now = deps.clock.now();
  const watermark = (await deps.state.watermark()) ?? now.minus(deps.lookback);
  const to = now.plus(deps.futureSkew);
  let from = watermark.minus(deps.overlap);
  const summary: ScanSummary = {
    from: from.toISO() ?? '',
    to: to.toISO() ?? '',
    pages: 0,
    rows: 0,
    uses: 0,
    routine: 0,
    ignored: 0,
    secretsUsed: 0,
    failed: 0,
  };
  let heldAt: DateTime | undefined;
  const facts = new Map<string, Promise<SecretFacts>>();
  // Uses of the whole scan, by secret: a flood over several pages is still one recording per secret.
  const uses = new Map<string, SecretUses>();
  for (;;) {
    const rows = await deps.source.fetch(
      buildAuditQuery({
        vaultUrls: deps.stores.map((s) => s.vaultUrl),
        from,
        to,
        selfObjectIds: deps.self.objectIds,
        requestIdPrefix: deps.requestIdPrefix,
        limit: deps.pageSize,
      }),
    );
    summary.pages += 1;
    summary.rows += rows.length;
    for (const row of rows) await sort(deps, row, facts, uses, summary);
    const last = rows.at(-1)?.time;
    if (rows.length < deps.pageSize || last === undefined) break;
    if (summary.pages >= deps.maxPages) {
      // Too much for one scan: the next one continues from the last row read.
      heldAt = last;
      break;
    }
    // Rows of the same instant as the last one are read again and found already claimed.
    from = last;
  }
  const failedAt = await recordUses(deps, [...uses.values()], now, summary);
  if (failedAt !== undefined && (heldAt === undefined || failedAt < heldAt)) heldAt = failedAt;
  // A held row is read again: the next scan starts one overlap before the watermark.
  await deps.state.advance(heldAt === undefined ? now : DateTime.min(now, heldAt.plus(deps.overlap)));
  return summary;
}

/** Judges one row; a use joins its secret's list. */
async function sort(
  deps: ScanDeps,
  row: AuditRow,
  facts: Map<string, Promise<SecretFacts>>,
  uses: Map<string, SecretUses>,
  summary: ScanSummary,
): Promise<void> {
  const located = locate(
    row,
    deps.stores.map((s) => s.vaultUrl),
  );
  if (located.kind === 'ignored') {
    summary.ignored += 1;
    return;
  }
  const { read } = located;
  const store = deps.stores.find((s) => s.vaultUrl === read.vaultUrl) as SecretStore;
  const judged = judge(read, await factsOf(facts, store, read.secret), deps.self, deps.isRotatorRequestId);
  if (judged.kind === 'routine') summary.routine += 1;
  else if (judged.kind === 'ignored') summary.ignored += 1;
  else {
    const key = `${store.vaultUrl}|${read.secret.toLowerCase()}`;
    const entry = uses.get(key) ?? { store, secret: read.secret, reads: [] };
    entry.reads.push(read);
    uses.set(key, entry);
  }
}

async function factsOf(
  cache: Map<string, Promise<SecretFacts>>,
  store: SecretStore,
  secret: string,
): Promise<SecretFacts> {
  const key = `${store.vaultUrl}|${secret.toLowerCase()}`;
  let found = cache.get(key);
  if (found === undefined) {
    // One look-up per secret per scan, however many rows name it (a flood is one read of the tags).
    found = store.get(secret).then((s) =>
      s === undefined
        ? { exists: false, managed: false, readers: [] }
        : {
            exists: true,
            managed: s.tags['rotation-target'] !== undefined,
            readers: parseReaders(s.tags['rotation-readers']),
          },
    );
    cache.set(key, found);
    found.catch(() => cache.delete(key));
  }
  return found;
}

/** Claims each read, records each secret's earliest new use; returns the earliest read it must see again. */
async function recordUses(
  deps: ScanDeps,
  secrets: SecretUses[],
  now: DateTime,
  summary: ScanSummary,
): Promise<DateTime | undefined> {
  let held: DateTime | undefined;
  for (const { store, secret, reads } of secrets) {
    const claimed = await deps.state.claim(reads.map((r) => r.key));
    // Duplicate rows of one read in this page share a key: the first one claims it.
    const seen = new Set<string>();
    const fresh = reads.filter((r, i) => claimed[i] === true && !seen.has(r.key) && seen.add(r.key));
    if (fresh.length === 0) continue;
    // A log clock ahead of ours stamps reads in our future; we saw them, so they happened by now.
    const atOf = (r: LocatedRead): DateTime => DateTime.min(r.at, now);
    const first = fresh.reduce((a, b) => (atOf(b) < atOf(a) ? b : a));
    try {
      const recorded = await deps.record(store, {
        secret,
        at: atOf(first),
        actor: describeActor(first.actor),
        note: UNBROKERED_REASON,
      });
      await deps.state.confirm(fresh.map((r) => r.key));
      summary.uses += fresh.length;
      if (recorded === undefined) {
        deps.logger.info(
          { secret, vault: store.vaultUrl },
          'read of a secret deleted since; nothing to rotate',
        );
        continue;
      }
      summary.secretsUsed += 1;
      report(deps, store, secret, fresh, recorded, atOf);
    } catch (error) {
      await deps.state.release(fresh.map((r) => r.key));
      summary.failed += fresh.length;
      if (held === undefined || atOf(first) < held) held = atOf(first);
      deps.logger.warn(
        { secret, vault: store.vaultUrl, err: error instanceof Error ? error.message : String(error) },
        'could not record a read outside the rotator yet; it is read again next scan',
      );
    }
  }
  return held;
}

function report(
  deps: ScanDeps,
  store: SecretStore,
  secret: string,
  reads: LocatedRead[],
  recorded: RecordedUsage,
  atOf: (r: LocatedRead) => DateTime,
): void {
  const byActor = new Map<string, LocatedRead[]>();
  for (const read of reads) {
    const actor = describeActor(read.actor);
    byActor.set(actor, [...(byActor.get(actor) ?? []), read]);
  }
  for (const [actor, mine] of byActor) {
    const first = mine.reduce((a, b) => (atOf(b) < atOf(a) ? b : a));
    const finding: UseFinding = {
      vault: store.vaultUrl,
      secret: recorded.name,
      actor,
      actorId: first.actor.objectId ?? first.actor.appId,
      reads: mine.length,
      firstReadAt: atOf(first).toISO() ?? '',
      forcedAt: recorded.satisfied ? undefined : (recorded.forcedAt.toISO() ?? undefined),
      satisfied: recorded.satisfied,
    };
    deps.logger.warn({ ...finding }, 'read outside the rotator: a use');
    deps.onUse?.(finding);
  }
}
