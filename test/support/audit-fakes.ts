import { DateTime } from 'luxon';
import type { AuditRow } from '../../src/audit-watch/audit-row';
import type { AuditQuery } from '../../src/audit-watch/kql';
import type { AuditLogSource } from '../../src/audit-watch/log-analytics';
import type { WatchState } from '../../src/audit-watch/watch-state';

/** A row as Key Vault writes it for a successful SecretGet; override what a test needs. */
export function auditRow(overrides: Partial<AuditRow> & { time: DateTime }): AuditRow {
  return {
    operation: 'SecretGet',
    id: '',
    requestUri: '',
    correlationId: '',
    identity: { claim: {} },
    callerIp: '10.0.0.4',
    clientInfo: 'azsdk-js-keyvault-secrets/4.12.0',
    ...overrides,
  };
}

/**
 * The audit log as a query source: rows become visible at their ingestion time (Log Analytics is
 * late), a query returns the visible rows of its timespan, oldest first, at most its `take`. It can be
 * told to fail (throttled, unreachable) and keeps the queries it answered.
 */
export class FakeAuditLog implements AuditLogSource {
  readonly queries: AuditQuery[] = [];
  private readonly rows: Array<{ row: AuditRow; visibleAt: DateTime }> = [];
  private failures: Error[] = [];

  constructor(private readonly now: () => DateTime) {}

  add(row: AuditRow, ingestionDelay: { seconds?: number; minutes?: number } = {}): void {
    this.rows.push({ row, visibleAt: this.now().plus(ingestionDelay) });
  }

  failNext(...errors: Error[]): void {
    this.failures.push(...errors);
  }

  fetch(query: AuditQuery): Promise<AuditRow[]> {
    const failure = this.failures.shift();
    if (failure !== undefined) return Promise.reject(failure);
    this.queries.push(query);
    const take = Number(/\| take (\d+)$/.exec(query.query)?.[1] ?? Infinity);
    const start = DateTime.fromJSDate(query.timespan.startTime);
    const end = DateTime.fromJSDate(query.timespan.endTime);
    const now = this.now();
    const found = this.rows
      .filter(({ row, visibleAt }) => visibleAt <= now && row.time !== undefined)
      .map(({ row }) => row)
      .filter((row) => (row.time as DateTime) >= start && (row.time as DateTime) <= end)
      .sort((a, b) => (a.time as DateTime).toMillis() - (b.time as DateTime).toMillis())
      .slice(0, take);
    return Promise.resolve(found);
  }
}

/** The watch state in memory (Redis' semantics: forward-only watermark, first claim wins). */
export class MemoryWatchState implements WatchState {
  mark: DateTime | undefined;
  readonly claimed = new Set<string>();

  watermark(): Promise<DateTime | undefined> {
    return Promise.resolve(this.mark);
  }

  advance(to: DateTime): Promise<void> {
    if (this.mark === undefined || this.mark < to) this.mark = to;
    return Promise.resolve();
  }

  claim(keys: readonly string[]): Promise<boolean[]> {
    return Promise.resolve(
      keys.map((k) => {
        if (this.claimed.has(k)) return false;
        this.claimed.add(k);
        return true;
      }),
    );
  }

  release(keys: readonly string[]): Promise<void> {
    for (const k of keys) this.claimed.delete(k);
    return Promise.resolve();
  }

  readonly confirmed = new Set<string>();

  confirm(keys: readonly string[]): Promise<void> {
    for (const k of keys) this.confirmed.add(k);
    return Promise.resolve();
  }

  /** Unconfirmed claims lapse (their replica died before recording). */
  lapseUnconfirmed(): void {
    for (const k of this.claimed) if (!this.confirmed.has(k)) this.claimed.delete(k);
  }

  /** Redis lost: nothing is remembered. */
  forget(): void {
    this.mark = undefined;
    this.claimed.clear();
    this.confirmed.clear();
  }
}
