import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { FleetSnapshotStore } from '../../src/scheduling/fleet-snapshot';
import { createRotatorMetrics, METRIC } from '../../src/telemetry';
import { ATTR } from '../../src/telemetry/names';
import { isolatedMeter, points } from '../support/otel-memory';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379/0';

/** A replica: its own meter and Redis connection, reading the snapshot whichever replica swept. */
function replica(name: string, prefix: string) {
  const redis = new Redis(REDIS_URL);
  const store = new FleetSnapshotStore(redis, prefix);
  const { meter, collect } = isolatedMeter();
  createRotatorMetrics(meter, { replica: name }).readFleetFrom(() => store.readFigures());
  return { redis, store, collect };
}

describe('fleet gauges with several replicas (real Redis)', () => {
  const prefix = `test-fleet-${randomUUID()}`;
  const a = replica('pod-a', prefix);
  const b = replica('pod-b', prefix);

  afterAll(async () => {
    await a.redis.del(`${prefix}:rotator:fleet`);
    a.redis.disconnect();
    b.redis.disconnect();
  });

  it('reports the latest sweep on every replica, so a replica that swept an overdue secret once does not keep the alert firing', async () => {
    const at = new Date().toISOString();
    await a.store.write({ at, overdue: 1, quarantined: 1, unreachableVaults: 0, secrets: [] });
    // Replica B sweeps later and finds everything rotated; replica A has not swept since.
    await b.store.write({ at, overdue: 0, quarantined: 0, unreachableVaults: 0, secrets: [] });
    const [fromA, fromB] = await Promise.all([a.collect(), b.collect()]);
    const maxOver = (name: string): number =>
      Math.max(...[fromA, fromB].flatMap((c) => points(c, name).map((p) => p.value as number)));
    expect(maxOver(METRIC.secretsOverdue)).toBe(0);
    expect(maxOver(METRIC.secretsQuarantined)).toBe(0);
    expect(points(fromA, METRIC.secretsOverdue)).toEqual(points(fromB, METRIC.secretsOverdue));
  });

  it('exports every secret’s age on every replica, up to 1,000 secrets', async () => {
    const now = Date.now();
    const secrets = Array.from({ length: 1_000 }, (_, i) => ({
      secret: `svc-${i}`,
      vault: i % 2 === 0 ? 'https://one.vault.example' : 'https://two.vault.example',
      lastRotated: new Date(now - (i + 1) * 60_000).toISOString(),
    }));
    const at = new Date(now).toISOString();
    await a.store.write({ at, overdue: 0, quarantined: 0, unreachableVaults: 0, secrets });
    const fromB = await b.collect();
    const ages = points(fromB, METRIC.secretAge);
    expect(ages).toHaveLength(secrets.length);
    const last = ages.find((p) => p.attributes[ATTR.secret] === 'svc-999');
    expect(last?.attributes[ATTR.vault]).toBe('https://two.vault.example');
    expect(last?.value).toBeGreaterThanOrEqual(1_000 * 60);
    const [oldest] = points(fromB, METRIC.oldestSecretAge);
    expect(oldest?.value).toBeGreaterThanOrEqual(1_000 * 60);
  });

  it('exports an age for the 1,000 oldest of a larger fleet only, at a few bytes a secret in Redis, read without the packed secrets', async () => {
    const now = Date.now();
    // Listed in no particular order of age: 2,500 secrets, i minutes old for i = (k * 7) mod 2,500.
    const secrets = Array.from({ length: 2_500 }, (_, k) => {
      const minutes = (k * 7) % 2_500;
      return {
        secret: `svc-${minutes}`,
        vault: 'https://one.vault.example',
        lastRotated: new Date(now - minutes * 60_000).toISOString(),
      };
    });
    await a.store.write({
      at: new Date(now).toISOString(),
      overdue: 0,
      quarantined: 0,
      unreachableVaults: 0,
      secrets,
    });
    const stored = await a.redis.memory('USAGE', `${prefix}:rotator:fleet`, 'SAMPLES', 0);
    expect(Number(stored) / secrets.length).toBeLessThan(20);
    // The body is not what the gauges read: gone, the figures are the same.
    await a.redis.hdel(`${prefix}:rotator:fleet`, 'body');
    // A replica of its own: this test's reader keeps series as OTLP's cumulative default would.
    const c = replica('pod-c', prefix);
    const ages = points(await c.collect(), METRIC.secretAge);
    c.redis.disconnect();
    expect(ages).toHaveLength(1_000);
    const names = new Set(ages.map((p) => p.attributes[ATTR.secret]));
    expect(names.has('svc-2499')).toBe(true);
    expect(names.has('svc-1500')).toBe(true);
    expect(names.has('svc-1499')).toBe(false);
  });

  it('exports nothing, rather than a guess, for a snapshot an older version wrote without its oldest secrets', async () => {
    const key = `${prefix}-older:rotator:fleet`;
    await a.redis.hset(
      key,
      'header',
      JSON.stringify({
        at: new Date().toISOString(),
        overdue: 3,
        quarantined: 0,
        unreachableVaults: 0,
        vaults: [],
        count: 0,
      }),
      'body',
      '',
    );
    const older = new FleetSnapshotStore(a.redis, `${prefix}-older`);
    const { meter, collect } = isolatedMeter();
    createRotatorMetrics(meter, { replica: 'pod-older' }).readFleetFrom(() => older.readFigures());
    expect(points(await collect(), METRIC.secretsOverdue)).toEqual([]);
    await a.redis.del(key);
  });

  it('exports nothing, rather than a guess, while the key still holds an older version’s snapshot', async () => {
    const key = `${prefix}-old:rotator:fleet`;
    await a.redis.set(key, JSON.stringify({ at: new Date().toISOString(), overdue: 9, secrets: [] }));
    const old = new FleetSnapshotStore(a.redis, `${prefix}-old`);
    const { meter, collect } = isolatedMeter();
    createRotatorMetrics(meter, { replica: 'pod-old' }).readFleetFrom(() => old.readFigures());
    const collected = await collect();
    expect(points(collected, METRIC.secretsOverdue)).toEqual([]);
    await old.write({
      at: new Date().toISOString(),
      overdue: 1,
      quarantined: 0,
      unreachableVaults: 0,
      secrets: [],
    });
    expect(points(await collect(), METRIC.secretsOverdue).map((p) => p.value)).toEqual([1]);
    await a.redis.del(key);
  });

  it('shows a snapshot nobody refreshed as stale, and each replica’s heartbeat on its own', async () => {
    const hourAgo = new Date(Date.now() - 3_600_000).toISOString();
    await a.store.write({ at: hourAgo, overdue: 3, quarantined: 0, unreachableVaults: 0, secrets: [] });
    const [fromA, fromB] = await Promise.all([a.collect(), b.collect()]);
    for (const c of [fromA, fromB]) {
      const [age] = points(c, METRIC.sweepAge);
      expect(age?.value).toBeGreaterThanOrEqual(3600);
    }
    expect(points(fromA, METRIC.heartbeat)).toEqual([{ value: 1, attributes: { [ATTR.replica]: 'pod-a' } }]);
    expect(points(fromB, METRIC.heartbeat)).toEqual([{ value: 1, attributes: { [ATTR.replica]: 'pod-b' } }]);
  });
});
