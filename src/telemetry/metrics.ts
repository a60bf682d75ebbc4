import { metrics, type Meter } from '@opentelemetry/api';
import { ATTR, METRIC, SCOPE } from './names';

interface SecretAgeSample {
  secret: string;
  vault: string;
  ageSeconds: number;
}

export interface RotatorMetrics {
  rotationFinished(attributes: { reason: string; outcome: string; target?: string }, seconds: number): void;
  /** Replaces what the age and overdue gauges report, from the sweep's view of the vaults. */
  observeSecrets(ages: SecretAgeSample[], overdue: number): void;
}

/** The contract's instruments. Gauges report the last sweep's snapshot, so any replica's export is current. */
export function createRotatorMetrics(meter: Meter = metrics.getMeter(SCOPE)): RotatorMetrics {
  const rotations = meter.createCounter(METRIC.rotations, {
    description: 'Rotations finished, by reason and outcome',
  });
  const duration = meter.createHistogram(METRIC.rotationDuration, {
    description: 'Time from lock to the end of a rotation',
    unit: 's',
  });
  let ages: SecretAgeSample[] = [];
  let overdue: number | undefined;
  meter
    .createObservableGauge(METRIC.secretAge, {
      description: 'Time since the last rotation, per secret',
      unit: 's',
    })
    .addCallback((result) => {
      for (const sample of ages) {
        result.observe(sample.ageSeconds, { [ATTR.secret]: sample.secret, [ATTR.vault]: sample.vault });
      }
    });
  meter
    .createObservableGauge(METRIC.secretsOverdue, {
      description: 'Managed secrets past their scheduled rotation',
    })
    .addCallback((result) => {
      if (overdue !== undefined) result.observe(overdue);
    });
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
    observeSecrets: (next, count) => {
      ages = next;
      overdue = count;
    },
  };
}
