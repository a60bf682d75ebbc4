import type { Logger } from 'pino';

/**
 * Where a daemon is in its life, as Temporal's worker states it: `starting` until every part runs,
 * `running` while it takes work, `draining` from the stop signal while work in flight finishes,
 * then `stopped`; `failed` when a part could not start.
 */
export type DaemonState = 'starting' | 'running' | 'draining' | 'stopped' | 'failed';

const NEXT: Record<DaemonState, readonly DaemonState[]> = {
  starting: ['running', 'failed'],
  running: ['draining'],
  draining: ['stopped'],
  stopped: [],
  failed: [],
};

export interface Lifecycle {
  readonly state: () => DaemonState;
  /** Moves on and writes one structured log line (`event: 'daemon.state'`) per transition. */
  readonly moveTo: (next: DaemonState, details?: Record<string, unknown>) => void;
}

export function createLifecycle(logger: Logger): Lifecycle {
  let current: DaemonState = 'starting';
  logger.info({ event: 'daemon.state', state: current }, 'daemon starting');
  return {
    state: () => current,
    moveTo: (next, details = {}) => {
      if (!NEXT[current].includes(next)) {
        // A programming error, never an operator's: the composition root drives the transitions.
        throw new Error(`daemon state cannot go from ${current} to ${next}`);
      }
      const from = current;
      current = next;
      logger.info({ event: 'daemon.state', from, state: next, ...details }, `daemon ${next}`);
    },
  };
}
