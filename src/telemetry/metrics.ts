import { hostname } from 'node:os';
import { metrics, type BatchObservableResult, type Meter, type ObservableGauge } from '@opentelemetry/api';
import type { FleetFigures } from '../scheduling/fleet-snapshot';
import { OLDEST_KEPT } from '../scheduling/oldest-secrets';
import { counter, gauge, histogram } from './instruments';
import { ATTR, SCOPE } from './names';

export type FleetReader = () => Promise<FleetFigures | undefined>;

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
  /** How many secrets get a `rotator.secret.age` series: the oldest ones (default and most: OLDEST_KEPT). */
  ageSeriesLimit?: number;
}

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
  const ageSeriesLimit = options.ageSeriesLimit ?? OLDEST_KEPT;
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

async function readQuietly(read: FleetReader | undefined): Promise<FleetFigures | undefined> {
  try {
    return await read?.();
  } catch {
    // Redis unreachable or closing: no figures is honest, a remembered figure is not.
    return undefined;
  }
}

type Gauges = Record<'age' | 'overdue' | 'quarantined' | 'oldest' | 'sweepAge', ObservableGauge>;

function observeFleet(
  result: BatchObservableResult,
  gauges: Gauges,
  snapshot: FleetFigures,
  { nowMs, ageSeriesLimit }: { nowMs: number; ageSeriesLimit: number },
): void {
  const seconds = (ms: number): number => Math.max(0, (nowMs - ms) / 1000);
  // The sweep kept the oldest secrets (oldest first) as it packed the fleet: nothing is decompressed here.
  for (const s of snapshot.oldest.slice(0, ageSeriesLimit)) {
    result.observe(gauges.age, seconds(s.lastRotatedMs), { [ATTR.secret]: s.secret, [ATTR.vault]: s.vault });
  }
  result.observe(gauges.overdue, snapshot.overdue);
  result.observe(gauges.quarantined, snapshot.quarantined);
  const oldest = snapshot.oldest[0];
  if (oldest !== undefined) result.observe(gauges.oldest, seconds(oldest.lastRotatedMs));
  result.observe(gauges.sweepAge, seconds(Date.parse(snapshot.at)));
}
