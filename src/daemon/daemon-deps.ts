import type { Redis } from 'ioredis';
import type { Duration } from 'luxon';
import type { UsageRecorder } from '../access/access-service';
import type { DeferredRequestBudget } from '../budget';
import type { Logger } from 'pino';
import type { Clock } from '../clock';
import type { Config } from '../config';
import type { RetirementResult, RotationDeps, RotationLock, RotationResult, TargetLookup } from '../rotation';
import type {
  FleetFigures,
  RotateFn,
  RotationScheduler,
  SweepDeps,
  SweepSummary,
  UsageListenerDeps,
} from '../scheduling';
import type { SecretStore } from '../vault';
import type { DaemonPart } from './daemon-part';

/** What an optional part gets from the daemon: the shared Redis, the scheduler and the usage path's lock. */
export interface DaemonContext {
  redis: Redis;
  prefix: string;
  stores: readonly SecretStore[];
  scheduler: RotationScheduler;
  /** The lock namespace the usage listener records checkouts under (one tag writer per secret). */
  tagLock: RotationLock;
  grace: Duration;
  /**
   * The usage listener's own recording (checked-out-at, then the forced rotation): a checkout through
   * the access API is recorded by this code, not a copy of it.
   */
  recordUsage: UsageRecorder;
  clock: Clock;
  logger: Logger;
}

/** Starts one optional part (the audit-log watcher, the access API) once the workers run. */
export type StartPart = (context: DaemonContext) => Promise<DaemonPart>;

/** What the composition root is handed: configuration, adapters, and the caller's instrumentation. */
export interface DaemonDeps {
  config: Config;
  stores: readonly SecretStore[];
  /** Vaults that hold only admin connections (named by the target policy), read but never swept. */
  connectionStores?: readonly SecretStore[];
  targets: TargetLookup;
  logger: Logger;
  clock: Clock;
  /**
   * The request budget the vault clients were built with (createSecretStores): bound to Redis while
   * the daemon runs, and asked to admit each rotation before it starts.
   */
  budget?: DeferredRequestBudget;
  /** Wraps one rotation (tracing, metrics, audit); `run` takes the step hook to pass to the engine. */
  instrumentRotation?(
    run: (onStep?: RotationDeps['onStep']) => Promise<RotationResult>,
    request: Parameters<RotateFn>[0],
    job: Parameters<RotateFn>[2],
  ): Promise<RotationResult>;
  /** Wraps one retirement follow-up (tracing, metrics, audit). */
  instrumentRetirement?(
    run: (onStep?: RotationDeps['onStep']) => Promise<RetirementResult>,
    request: { secret: string; vault: string; jobId: string },
  ): Promise<RetirementResult>;
  /** Wraps one sweep (tracing). */
  instrumentSweep?(run: () => Promise<SweepSummary>): Promise<SweepSummary>;
  observe?: SweepDeps['observe'];
  onDecision?: SweepDeps['onDecision'];
  /** Hands telemetry the reader of the last sweep's snapshot in Redis, for the fleet gauges. */
  observeFleet?(read: () => Promise<FleetFigures | undefined>): void;
  instrumentUsage?: UsageListenerDeps['around'];
  currentTraceparent?: UsageListenerDeps['currentTraceparent'];
  /** How long a job waits when another worker holds the lock. */
  lockedRetryMs?: number;
  healthHost?: string;
  /** Overrides ROTATOR_HEALTH_PORT (tests pass 0 for a free port). */
  healthPort?: number;
  /** Optional parts, started after the workers and stopped before Redis closes. */
  parts?: readonly StartPart[];
}
