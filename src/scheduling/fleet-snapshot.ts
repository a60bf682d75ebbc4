import type { Redis } from 'ioredis';
import { PackedFleet, type FleetSecrets } from './fleet-packing';

export type { FleetSecret, FleetSecrets } from './fleet-packing';

/** What the schedule held in Redis at the sweep: jobs only for rotations due within the horizon. */
export interface FleetSchedule {
  /** ISO-8601 duration: rotations due within it had a delayed job after the sweep. */
  horizon: string;
  /** Managed secrets due within the horizon (overdue ones included): each had a job. */
  queued: number;
  /** Managed secrets due later: no job; Key Vault holds their due time and a later sweep queues them. */
  beyondHorizon: number;
  /** ISO-8601 UTC of the earliest due time beyond the horizon, if any. */
  nextBeyond?: string;
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
  schedule?: FleetSchedule;
  secrets: FleetSecrets;
}

/** The snapshot without its secrets: small, readable without decompressing anything. */
export type FleetHeader = Omit<FleetSnapshot, 'secrets'>;

interface StoredHeader extends FleetHeader {
  vaults: readonly string[];
  count: number;
}

function parseHeader(text: string | null): StoredHeader | undefined {
  if (text === null) return undefined;
  try {
    const parsed = JSON.parse(text) as Partial<StoredHeader>;
    if (typeof parsed.at !== 'string' || !Array.isArray(parsed.vaults) || typeof parsed.count !== 'number') {
      return undefined;
    }
    return parsed as StoredHeader;
  } catch {
    return undefined;
  }
}

/**
 * The last sweep's snapshot in one Redis hash (a small JSON header and the packed secrets), written
 * by the sweeping replica, read by every replica.
 */
export class FleetSnapshotStore {
  private readonly key: string;

  constructor(
    private readonly redis: Redis,
    prefix: string,
  ) {
    this.key = `${prefix}:rotator:fleet`;
  }

  async write(snapshot: FleetSnapshot): Promise<void> {
    const { secrets, ...rest } = snapshot;
    const packed = secrets instanceof PackedFleet ? secrets : PackedFleet.of(secrets);
    const header: StoredHeader = { ...rest, vaults: packed.vaults, count: packed.length };
    // DEL first: a snapshot written by an older version is a plain string under the same key.
    await this.redis
      .multi()
      .del(this.key)
      .hset(this.key, 'header', JSON.stringify(header), 'body', packed.body)
      .exec();
  }

  /** The figures without the secrets (`rotator jobs`); undefined before the first sweep. */
  async readHeader(): Promise<FleetHeader | undefined> {
    const header = parseHeader(await this.redis.hget(this.key, 'header'));
    if (header === undefined) return undefined;
    const { vaults: _vaults, count: _count, ...rest } = header;
    return rest;
  }

  /**
   * Undefined before the first sweep, or when what is stored is not a snapshot. Until the first sweep
   * of this version rewrites it, an older version's plain-string snapshot answers WRONGTYPE: an error,
   * so the gauges export nothing rather than a guess.
   */
  async read(): Promise<FleetSnapshot | undefined> {
    const [text, body] = await this.redis.hmgetBuffer(this.key, 'header', 'body');
    const header = parseHeader(text === null || text === undefined ? null : text.toString('utf8'));
    if (header === undefined || body === null || body === undefined) return undefined;
    const { vaults, count, ...rest } = header;
    return { ...rest, secrets: new PackedFleet(vaults, count, body) };
  }
}
