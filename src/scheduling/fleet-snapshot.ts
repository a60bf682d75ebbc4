import type { Redis } from 'ioredis';
import { gunzipSync, gzipSync } from 'node:zlib';
import { SweptFleet, type FleetSecret } from './fleet-tally';
import type { AgedSecret } from './oldest-secrets';

export type { FleetSecret } from './fleet-tally';

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
  /** What the sweep kept of them (SweptFleet), or the secrets themselves (tests, small fleets). */
  secrets: SweptFleet | Iterable<FleetSecret>;
}

/** The snapshot without its secrets. */
export type FleetHeader = Omit<FleetSnapshot, 'secrets'>;

/**
 * What the fleet gauges export every minute: the header and the oldest secrets the sweep saw (oldest
 * first, OLDEST_KEPT at most): an export costs the same at a million secrets as at ten.
 */
export interface FleetFigures extends FleetHeader {
  oldest: readonly AgedSecret[];
}

function parseOldest(packed: Buffer | null | undefined): AgedSecret[] | undefined {
  if (packed === null || packed === undefined) return undefined;
  try {
    const parsed = JSON.parse(gunzipSync(packed).toString('utf8')) as unknown;
    return Array.isArray(parsed) ? (parsed as AgedSecret[]) : undefined;
  } catch {
    return undefined;
  }
}

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
    const fleet = secrets instanceof SweptFleet ? secrets : SweptFleet.of(secrets);
    const header: StoredHeader = { ...rest, vaults: fleet.vaults, count: fleet.length };
    // DEL first: a snapshot written by an older version is a plain string, or a hash with a body of
    // every secret, under the same key.
    await this.redis
      .multi()
      .del(this.key)
      // Compressed: a thousand names and times are ~85 KB as JSON, ~15 KB gzipped.
      .hset(this.key, 'header', JSON.stringify(header), 'oldest', gzipSync(JSON.stringify(fleet.oldest)))
      .exec();
  }

  /**
   * The gauges' figures; undefined before the first sweep, and also for a snapshot an older version
   * wrote without its oldest secrets (no figures is honest; the next sweep writes them). An older
   * version's plain-string snapshot answers WRONGTYPE: an error, so the gauges export nothing.
   */
  async readFigures(): Promise<FleetFigures | undefined> {
    const [text, packedOldest] = await this.redis.hmgetBuffer(this.key, 'header', 'oldest');
    const header = parseHeader(text === null || text === undefined ? null : text.toString('utf8'));
    const oldest = parseOldest(packedOldest);
    if (header === undefined || oldest === undefined) return undefined;
    const { vaults: _vaults, count: _count, ...rest } = header;
    return { ...rest, oldest };
  }

  /** The figures without the secrets (`rotator jobs`); undefined before the first sweep. */
  async readHeader(): Promise<FleetHeader | undefined> {
    const header = parseHeader(await this.redis.hget(this.key, 'header'));
    if (header === undefined) return undefined;
    const { vaults: _vaults, count: _count, ...rest } = header;
    return rest;
  }
}
