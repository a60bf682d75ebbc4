import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runBench } from '../../tools/bench/main';
import type { BenchResults } from '../../tools/bench/report';

// The bench spawns `rotator daemon` and `rotator emulator` from the build (npm test builds first).
describe('npm run bench, at smoke size', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rotator-bench-test-'));
  const out = join(dir, 'BENCHMARKS.md');
  let results: BenchResults;
  let report: string;

  beforeAll(async () => {
    results = await runBench({ size: 'smoke', out, log: () => undefined });
    report = readFileSync(out, 'utf8');
  }, 300_000); // 25 s alone; a loaded 2-core machine (parallel jest workers) has taken 120 s

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('writes every section with the machine, the date and the command', () => {
    for (const heading of [
      '## Key Vault requests per rotation',
      '## Rotation throughput',
      '### Where the ratio goes, layer by layer',
      "### Under a vault's request budget",
      '### Several vaults, each at its own budget',
      '## Forced-rotation lateness',
      '## Sweep at scale',
      '## Reads backstop (audit-log watcher)',
    ]) {
      expect(report).toContain(heading);
    }
    expect(report).toContain('npm run bench -- --size smoke');
    expect(report).toContain(results.machine.node);
  });

  it('measures a first keyvault rotation at one GET, one version list and one PUT', () => {
    const keyvault = results.requests.find((r) => r.target === 'keyvault');
    expect(keyvault?.byOperation).toEqual({
      getSecret: keyvault?.rotations,
      setSecret: keyvault?.rotations,
      getSecretVersions: keyvault?.rotations,
    });
  });

  it('measures a keyvault rotation after one the rotator committed at one GET and one PUT', () => {
    const keyvault = results.requests.find((r) => r.target === 'keyvault, rotated before');
    expect(keyvault?.byOperation).toEqual({ getSecret: keyvault?.rotations, setSecret: keyvault?.rotations });
  });

  it('measures postgres and Entra rotations at the protocol floor', () => {
    const perRotation = Object.fromEntries(results.requests.map((r) => [r.target, r.perRotation]));
    expect(perRotation).toEqual({
      keyvault: 3,
      'keyvault, rotated before': 2,
      postgres: 15,
      'entra-app': 9,
      'entra-user': 14,
    });
    for (const target of ['keyvault', 'keyvault, rotated before', 'postgres', 'entra-app', 'entra-user'])
      expect(report).toMatch(new RegExp(`\\| ${target} \\| \\d+ \\| .+ \\| [\\d.]+ \\| \\d+ \\| 1\\.00 \\|`));
  });

  it('reports finite figures for throughput, lateness and the sweep, with no rotation started early', () => {
    expect(Number.isFinite(results.throughput.ratio)).toBe(true);
    expect(Number.isFinite(results.throughput.floorRatio)).toBe(true);
    // The layers a rotation is made of, measured in the same rounds: the engine alone and an empty job.
    expect(Number.isFinite(results.throughput.engineRatio)).toBe(true);
    expect(Number.isFinite(results.throughput.ceilingRatio)).toBe(true);
    expect(results.throughput.emptyJobsPerSecond).toBeGreaterThan(0);
    expect(results.throttled.map((t) => t.mode)).toEqual(['none', 'per-window', 'smoothed', 'fitted']);
    expect(results.throttled.every((t) => Number.isFinite(t.budgetUsedPercent))).toBe(true);
    // Three vaults at once under their own budgets: every rotation done, none of them met a 429.
    expect(results.vaults?.vaults.map((v) => [v.writesServed, v.throttled])).toEqual([
      [results.vaults?.vaults[0]?.rotations, 0],
      [results.vaults?.vaults[1]?.rotations, 0],
      [results.vaults?.vaults[2]?.rotations, 0],
    ]);
    expect(results.lateness.early).toBe(0);
    expect(Number.isFinite(results.lateness.p99Ms)).toBe(true);
    const sweep = results.sweeps[0];
    // Every secret is either queued (due within the horizon) or left to Key Vault, none lost.
    expect((sweep?.queued ?? 0) + (sweep?.beyondHorizon ?? 0)).toBe(sweep?.secrets);
    expect(results.million?.vaults).toBeGreaterThan(1);
    expect((results.million?.queued ?? 0) + (results.million?.beyondHorizon ?? 0)).toBe(
      results.million?.secrets,
    );
    expect(results.idle?.idleRssMb).toBeGreaterThan(0);
    expect(results.sweeps[0]?.daemonPeakRssMb).toBeGreaterThan(0);
    expect(results.sweeps[0]?.redisBytesPerSecret).toBeGreaterThan(0);
    // As deployed: the daemon exported to the local ingestion endpoint, at rest and after its sweep.
    expect(results.deployed?.map((d) => d.secrets)).toEqual([100, results.sweeps[0]?.secrets]);
    for (const deployed of results.deployed ?? []) {
      expect(deployed.telemetryKinds['RequestData schedule.sweep']).toBeGreaterThan(0);
      // The distro's own probes (VM metadata, its settings service) fail in the namespace as they
      // would where nothing answers them: none of it may reach Application Insights as the rotator's.
      const platform = Object.keys(deployed.telemetryKinds).filter((kind) =>
        /ExceptionData|metadata\/instance|AzMonSDKDynamicConfiguration/.test(kind),
      );
      expect(platform).toEqual([]);
      expect(deployed.daemonPeakRssMb).toBeGreaterThan(0);
    }
    // Three replicas, one lease per interval: far from three queries per poll.
    expect(results.audit?.queriesPerPoll).toBeLessThan(2);
    expect(results.audit?.secretsForced).toBe(5);
    expect(report).not.toMatch(/NaN|undefined/);
  });
});
