import type { Counter, Histogram, Meter, ObservableGauge } from '@opentelemetry/api';
import { METRIC } from './names';

type MetricKey = keyof typeof METRIC;

/** Every instrument's description and unit, beside its name in METRIC (the contract). */
const DESCRIBED: Record<MetricKey, { description: string; unit?: 's' }> = {
  rotations: { description: 'Rotations finished, by reason and outcome' },
  rotationDuration: { description: 'Time from lock to the end of a rotation', unit: 's' },
  retirements: {
    description: 'Retired credentials checked refused (proven) or not (unproven), by target',
  },
  secretAge: { description: 'Time since the last rotation, per secret (from the last sweep)', unit: 's' },
  secretsOverdue: { description: 'Managed secrets past their scheduled rotation (at the last sweep)' },
  secretsQuarantined: {
    description: 'Secrets whose rotation attempts ran out: an operator must act (at the last sweep)',
  },
  oldestSecretAge: { description: 'Age of the oldest managed secret', unit: 's' },
  sweepAge: { description: 'Time since the sweep the fleet gauges come from', unit: 's' },
  heartbeat: { description: 'One per replica per export: the replica is alive' },
  accessRequests: { description: 'Access API operations, by operation and outcome' },
  readsUnbrokered: {
    description: 'Reads of managed secrets outside the rotator, found in Key Vault audit logs',
  },
};

export function counter(meter: Meter, key: MetricKey): Counter {
  return meter.createCounter(METRIC[key], DESCRIBED[key]);
}

export function histogram(meter: Meter, key: MetricKey): Histogram {
  return meter.createHistogram(METRIC[key], DESCRIBED[key]);
}

export function gauge(meter: Meter, key: MetricKey): ObservableGauge {
  return meter.createObservableGauge(METRIC[key], DESCRIBED[key]);
}
