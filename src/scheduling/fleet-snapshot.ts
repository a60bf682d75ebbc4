import type { Redis } from 'ioredis';

/** One managed secret as the last sweep saw it. */
export interface FleetSecret {
  secret: string;
  vault: string;
  /** ISO-8601 UTC of the rotation its schedule counts from. */
  lastRotated: string;
}

/**
 * What the last sweep found, whichever replica ran it: the one shared source of the fleet gauges, so
 * that every replica exports the same figures (a `max` over replicas is right) and a stopped sweep
 * shows as an ageing `at` rather than as a frozen "all is well".
 */
export interface FleetSnapshot {
  /** ISO-8601 UTC of the sweep. */
  at: string;
  overdue: number;
  quarantined: number;
  /** Vaults the sweep could not list: their secrets are missing from `secrets`. */
  unreachableVaults: number;
  secrets: FleetSecret[];
}

/** The last sweep's snapshot in one Redis key, written by the sweeping replica, read by every replica. */
export class FleetSnapshotStore {
  private readonly key: string;

  constructor(
    private readonly redis: Redis,
    prefix: string,
  ) {
    this.key = `${prefix}:rotator:fleet`;
  }

  async write(snapshot: FleetSnapshot): Promise<void> {
    await this.redis.set(this.key, JSON.stringify(snapshot));
  }

  /** Undefined before the first sweep, or when the stored text is not a snapshot. */
  async read(): Promise<FleetSnapshot | undefined> {
    const text = await this.redis.get(this.key);
    if (text === null) return undefined;
    try {
      const parsed = JSON.parse(text) as Partial<FleetSnapshot>;
      if (typeof parsed.at !== 'string' || !Array.isArray(parsed.secrets)) return undefined;
      return parsed as FleetSnapshot;
    } catch {
      return undefined;
    }
  }
}
