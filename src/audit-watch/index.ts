import type { TokenCredential } from '@azure/identity';
import { Duration } from 'luxon';
import type { AuditWatchConfig } from '../config';
import type { StartPart } from '../daemon';
import { recordUsage } from '../scheduling';
import { isRotatorRequestId, ROTATOR_REQUEST_ID_PREFIX } from '../vault';
import { LogAnalyticsAuditSource, type AuditLogSource } from './log-analytics';
import { RedisPollLease } from './poll-lease';
import { scanAuditLog, type ScanSummary, type UseFinding } from './scan';
import { discoverSelfIdentity } from './self-identity';
import { startAuditWatcher } from './watcher';
import { RedisWatchState } from './watch-state';

export { buildAuditQuery, VALUE_READ_OPERATIONS, type AuditQuery } from './kql';
export { scanAuditLog, UNBROKERED_REASON, type ScanDeps, type ScanSummary, type UseFinding } from './scan';
export { LogAnalyticsAuditSource, type AuditLogSource } from './log-analytics';
export { AUDIT_COLUMNS as AUDIT_QUERY_COLUMNS } from './audit-row';
export { RedisPollLease } from './poll-lease';
export { RedisWatchState } from './watch-state';
export { startAuditWatcher } from './watcher';

/** Internal knobs, compiled once; the contract exposes only the workspace, the endpoint and the poll. */
export interface AuditWatchTuning {
  overlap: Duration;
  lookback: Duration;
  futureSkew: Duration;
  pageSize: number;
  maxPages: number;
  maxBackoffMs: number;
}

export const DEFAULT_TUNING: AuditWatchTuning = {
  // AZKVAuditLogs rows arrive 20 s to 3 min late, longer at times: every scan re-reads ten minutes.
  overlap: Duration.fromObject({ minutes: 10 }),
  // After a Redis loss the scan starts a day back; re-found reads are recorded idempotently.
  lookback: Duration.fromObject({ hours: 24 }),
  futureSkew: Duration.fromObject({ minutes: 5 }),
  pageSize: 5_000,
  maxPages: 20,
  maxBackoffMs: 15 * 60_000,
};

export interface AuditWatchOptions {
  config: AuditWatchConfig & { workspaceId: string };
  /** The daemon's Azure identity (the vaults' credential): it queries the workspace and names the rotator. */
  credential: TokenCredential;
  caPem?: string;
  tuning?: Partial<AuditWatchTuning>;
  /** Replaces the Log Analytics adapter (tests, bench). */
  source?: AuditLogSource;
  instrument?: (run: () => Promise<ScanSummary>) => Promise<ScanSummary>;
  onUse?: (finding: UseFinding) => void;
}

/** The watcher as a part of `rotator daemon`: on when ROTATOR_AUDIT_WORKSPACE_ID is set. */
export function auditWatchPart(options: AuditWatchOptions): StartPart {
  return async (ctx) => {
    const tuning = { ...DEFAULT_TUNING, ...options.tuning };
    const self = await discoverSelfIdentity(options.credential).catch((error: unknown) => {
      ctx.logger.warn(
        { err: error instanceof Error ? error.message : String(error) },
        'could not read the rotator identity from its token; its reads are recognised by request id alone',
      );
      return { objectIds: [], appIds: [] };
    });
    const source =
      options.source ??
      new LogAnalyticsAuditSource({
        workspaceId: options.config.workspaceId,
        endpoint: options.config.logsEndpoint,
        credential: options.credential,
        ...(options.caPem !== undefined && { caPem: options.caPem }),
      });
    const claimTtlSeconds = Math.ceil((2 * tuning.overlap.toMillis() + tuning.maxBackoffMs) / 1000);
    const state = new RedisWatchState(ctx.redis, ctx.prefix, claimTtlSeconds);
    const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
    const recordDeps = { scheduler: ctx.scheduler, tagLock: ctx.tagLock, grace: ctx.grace, sleep };
    ctx.logger.info(
      {
        workspace: options.config.workspaceId,
        poll: options.config.poll.iso,
        self: self.objectIds.length + self.appIds.length > 0 ? self : 'unknown',
      },
      'audit-log watcher started',
    );
    const watcher = startAuditWatcher({
      scan: () =>
        scanAuditLog({
          source,
          state,
          stores: ctx.stores,
          record: (store, usage) => recordUsage(recordDeps, store, usage),
          clock: ctx.clock,
          self,
          isRotatorRequestId,
          requestIdPrefix: ROTATOR_REQUEST_ID_PREFIX,
          logger: ctx.logger,
          ...tuning,
          onUse: options.onUse,
        }),
      lease: new RedisPollLease(ctx.redis, ctx.prefix),
      pollMs: options.config.poll.ms,
      maxBackoffMs: tuning.maxBackoffMs,
      logger: ctx.logger,
      instrument: options.instrument,
    });
    // A scan in flight finishes (its reads are claimed and recorded, or given back) before Redis closes.
    return { name: 'audit-watch', drain: () => watcher.stop(), stop: () => watcher.stop() };
  };
}
