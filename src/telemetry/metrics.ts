import { hostname } from 'node:os';
import { metrics, type BatchObservableResult, type Meter, type ObservableGauge } from '@opentelemetry/api';
import type { FleetSnapshot } from '../scheduling/fleet-snapshot';
import { counter, gauge, histogram } from './instruments';
import { ATTR, SCOPE } from './names';

export type FleetReader = () => Promise<FleetSnapshot | undefined>;

export interface RotatorMetrics {
  rotationFinished(attributes: { reason: string; outcome: string; target?: string }, seconds: number): void;
  /** The fleet gauges read the shared snapshot (the last sweep's, in Redis) at every export. */
  readFleetFrom(read: FleetReader): void;
  /** One retirement checked: `proven` or `unproven` (an alert). */
  retirementChecked?(attributes: { outcome: 'proven' | 'unproven'; target?: string }): void;
}

export interface RotatorMetricsOptions {
  /** The `rotator.replica` of this process's heartbeat (default: the host name, a pod's name). */
  replica?: string;
  /** Milliseconds since the epoch, for ages (tests inject a clock). */
  now?: () => number;
  /** How many secrets get a `rotator.secret.age` series: the oldest ones (default AGE_SERIES_LIMIT). */
  ageSeriesLimit?: number;
}

/**
 * The metrics SDK keeps at most 2,000 series per instrument and folds the rest into one overflow
 * series, whichever secrets those are; a fleet of 100,000 would also cost as many series a minute in
 * Azure Monitor. So a per-secret age goes out for the oldest secrets only, the ones an operator looks
 * for; `rotator.secret.oldest_age` and `rotator.secrets.overdue` still cover every secret.
 */
export const AGE_SERIES_LIMIT = 1_000;

/**
 * The contract's instruments. The fleet gauges (overdue, quarantined, ages) come from one shared
 * snapshot, not from what this replica last swept: every replica exports the same figures, so `max`
 * over replicas is right, and `rotator.sweep.age` shows how old they are. A replica that cannot read
 * the snapshot exports none of them rather than a remembered value. The heartbeat is per replica.
 */
export function createRotatorMetrics(
  meter: Meter = metrics.getMeter(SCOPE),
  options: RotatorMetricsOptions = {},
): RotatorMetrics {
  const now = options.now ?? Date.now;
  const ageSeriesLimit = options.ageSeriesLimit ?? AGE_SERIES_LIMIT;
  const replica = options.replica ?? hostname();
  const rotations = counter(meter, 'rotations');
  const duration = histogram(meter, 'rotationDuration');
  const retirements = counter(meter, 'retirements');
  const gauges = {
    age: gauge(meter, 'secretAge'),
    overdue: gauge(meter, 'secretsOverdue'),
    quarantined: gauge(meter, 'secretsQuarantined'),
    oldest: gauge(meter, 'oldestSecretAge'),
    sweepAge: gauge(meter, 'sweepAge'),
  };
  let read: FleetReader | undefined;
  meter.addBatchObservableCallback(async (result) => {
    const snapshot = await readQuietly(read);
    if (snapshot !== undefined) observeFleet(result, gauges, snapshot, { nowMs: now(), ageSeriesLimit });
  }, Object.values(gauges));
  gauge(meter, 'heartbeat').addCallback((result) => result.observe(1, { [ATTR.replica]: replica }));
  return {
    rotationFinished: (attributes, seconds) => {
      const dims = {
        [ATTR.reason]: attributes.reason,
        [ATTR.outcome]: attributes.outcome,
        ...(attributes.target !== undefined && { [ATTR.target]: attributes.target }),
      };
      rotations.add(1, dims);
      duration.record(seconds, dims);
    },
    readFleetFrom: (next) => {
      read = next;
    },
    retirementChecked: (attributes) => {
      retirements.add(1, {
        [ATTR.outcome]: attributes.outcome,
        ...(attributes.target !== undefined && { [ATTR.target]: attributes.target }),
      });
    },
  };
}

async function readQuietly(read: FleetReader | undefined): Promise<FleetSnapshot | undefined> {
  try {
    return await read?.();
  } catch {
    // Redis unreachable or closing: no figures is honest, a remembered figure is not.
    return undefined;
  }
}

/** The last-rotation time (epoch ms) of the `count`-th oldest secret: secrets at or before it are shown. */
function lastRotatedCutoff(secrets: FleetSnapshot['secrets'], count: number): number {
  if (secrets.length <= count) return Infinity;
  const times = new Float64Array(secrets.length);
  let i = 0;
  for (const s of secrets) times[i++] = Date.parse(s.lastRotated);
  return times.sort()[count - 1] ?? Infinity;
}

type Gauges = Record<'age' | 'overdue' | 'quarantined' | 'oldest' | 'sweepAge', ObservableGauge>;

function observeFleet(
  result: BatchObservableResult,
  gauges: Gauges,
  snapshot: FleetSnapshot,
  { nowMs, ageSeriesLimit }: { nowMs: number; ageSeriesLimit: number },
): void {
  const seconds = (iso: string): number => Math.max(0, (nowMs - Date.parse(iso)) / 1000);
  // The packed fleet yields one secret at a time; the oldest are found in two passes over it, the
  // first keeping only timestamps, so the fleet is never held as objects.
  const limit = lastRotatedCutoff(snapshot.secrets, ageSeriesLimit);
  let shown = 0;
  let oldest = 0;
  for (const s of snapshot.secrets) {
    const age = seconds(s.lastRotated);
    oldest = Math.max(oldest, age);
    if (shown >= ageSeriesLimit || Date.parse(s.lastRotated) > limit) continue;
    shown += 1;
    result.observe(gauges.age, age, { [ATTR.secret]: s.secret, [ATTR.vault]: s.vault });
  }
  result.observe(gauges.overdue, snapshot.overdue);
  result.observe(gauges.quarantined, snapshot.quarantined);
  if (snapshot.secrets.length > 0) result.observe(gauges.oldest, oldest);
  result.observe(gauges.sweepAge, seconds(snapshot.at));
}
