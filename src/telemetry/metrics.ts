import { hostname } from 'node:os';
import { metrics, type BatchObservableResult, type Meter, type ObservableGauge } from '@opentelemetry/api';
import type { FleetSnapshot } from '../scheduling/fleet-snapshot';
import { ATTR, METRIC, SCOPE } from './names';

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
  const replica = options.replica ?? hostname();
  const rotations = meter.createCounter(METRIC.rotations, {
    description: 'Rotations finished, by reason and outcome',
  });
  const duration = meter.createHistogram(METRIC.rotationDuration, {
    description: 'Time from lock to the end of a rotation',
    unit: 's',
  });
  const retirements = meter.createCounter(METRIC.retirements, {
    description: 'Retired credentials checked refused (proven) or not (unproven), by target',
  });
  const gauges = {
    age: meter.createObservableGauge(METRIC.secretAge, {
      description: 'Time since the last rotation, per secret (from the last sweep)',
      unit: 's',
    }),
    overdue: meter.createObservableGauge(METRIC.secretsOverdue, {
      description: 'Managed secrets past their scheduled rotation (at the last sweep)',
    }),
    quarantined: meter.createObservableGauge(METRIC.secretsQuarantined, {
      description: 'Secrets whose rotation attempts ran out: an operator must act (at the last sweep)',
    }),
    oldest: meter.createObservableGauge(METRIC.oldestSecretAge, {
      description: 'Age of the oldest managed secret',
      unit: 's',
    }),
    sweepAge: meter.createObservableGauge(METRIC.sweepAge, {
      description: 'Time since the sweep the fleet gauges come from',
      unit: 's',
    }),
  };
  let read: FleetReader | undefined;
  meter.addBatchObservableCallback(async (result) => {
    const snapshot = await readQuietly(read);
    if (snapshot !== undefined) observeFleet(result, gauges, snapshot, now());
  }, Object.values(gauges));
  meter
    .createObservableGauge(METRIC.heartbeat, {
      description: 'One per replica per export: the replica is alive',
    })
    .addCallback((result) => result.observe(1, { [ATTR.replica]: replica }));
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

type Gauges = Record<'age' | 'overdue' | 'quarantined' | 'oldest' | 'sweepAge', ObservableGauge>;

function observeFleet(
  result: BatchObservableResult,
  gauges: Gauges,
  snapshot: FleetSnapshot,
  nowMs: number,
): void {
  const seconds = (iso: string): number => Math.max(0, (nowMs - Date.parse(iso)) / 1000);
  let oldest = 0;
  for (const s of snapshot.secrets) {
    const age = seconds(s.lastRotated);
    oldest = Math.max(oldest, age);
    result.observe(gauges.age, age, { [ATTR.secret]: s.secret, [ATTR.vault]: s.vault });
  }
  result.observe(gauges.overdue, snapshot.overdue);
  result.observe(gauges.quarantined, snapshot.quarantined);
  if (snapshot.secrets.length > 0) result.observe(gauges.oldest, oldest);
  result.observe(gauges.sweepAge, seconds(snapshot.at));
}
