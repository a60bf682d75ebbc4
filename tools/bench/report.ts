import { auditSection } from './audit-report';
import type { AuditScanCost } from './audit-scan';
import type { Lateness } from './lateness';
import type { Machine } from './machine';
import { KEYVAULT_ROTATED_BEFORE, type RequestsPerRotation } from './requests-per-rotation';
import type { SeveralVaults } from './several-vaults';
import type { DeployedSweep } from './sweep-as-deployed';
import type { SweepScale } from './sweep-scale';
import { rateLimitFor, type Throttled, type Throughput } from './throughput';

export interface BenchResults {
  date: string;
  command: string;
  size: string;
  totalSeconds: number;
  machine: Machine;
  requests: RequestsPerRotation[];
  throughput: Throughput;
  throttled: Throttled[];
  /** Three vaults rotated at once, each under its own budget. */
  vaults?: SeveralVaults;
  lateness: Lateness;
  sweeps: SweepScale[];
  /** The daemon at rest after sweeping a small vault. */
  idle?: { secrets: number; idleRssMb: number };
  /** A million secrets over ten vaults (smoke: a few hundred over two). */
  million?: SweepScale;
  /** The same with the NODE_OPTIONS the image sets (the Dockerfile's). */
  millionTuned?: SweepScale;
  /** The daemon as deployed (image's NODE_OPTIONS, Azure Monitor exporting): at rest, then the biggest sweep. */
  deployed?: DeployedSweep[];
  /** The reads backstop's scan cost and added queries. */
  audit?: AuditScanCost;
}

/** The floor of a safe rotation per target: the protocol in src/rotation/rotate-secret.ts. */
export const FLOOR: Record<string, number> = {
  keyvault: 3,
  [KEYVAULT_ROTATED_BEFORE]: 2,
  'entra-app': 9,
  'entra-user': 14,
  postgres: 15,
};

const FLOOR_REASONS = `- **keyvault, 3** (a secret the rotator has not rotated yet): GET the current version (its tags
  say whether the trigger is already satisfied, and tags belong to a version, so the new one must
  carry them) + GET its version list, to disable every readable version behind the current one
  before the commit (a secret set by hand may have any number) + PUT the new version. The new
  version is itself the commit and nothing outside Key Vault changes, so no pending record is needed.
- **keyvault, rotated before, 2** (the steady state: the rotator committed the current version and
  that rotation's follow-up is done): GET + PUT. The current version carries the retirement of the
  one before it (\`rotation-retirement\`), and every version older than that was disabled when it was
  committed, so there is nothing to list. The replaced version stays readable through its overlap;
  its follow-up, a job of its own once the overlap ends and outside this count, disables it and
  records the proof (a GET, a version list, 2 PATCHes).
- **entra-app, 9** (targets outside Key Vault; a manual rotation overlaps, so the old secret is retired
  later by the follow-up, outside this count): GET current + GET the pending record (an
  interrupted rotation must be finished or rolled back before a new value is made; its value may be
  the one the target holds) + PUT pending (write-ahead: the value is in Key Vault before the target
  changes, so a crash cannot lose the only copy) + PUT the new version (the commit) + PUT a tombstone
  version of the pending record marked \`committed\` (left open, the sweep and the next rotation
  would take every rotation for an interrupted one and redo it) + PATCH the version that held the
  value to disabled, so only the secret itself holds it + 3 GETs of the pending record, one before
  each of prepare, apply and commit (fencing: a worker that lost its lease stops before it writes;
  README "The protocol, proven").
- **entra-user, 14**: entra-app's 9 + the retirement at once (a user holds one password, so there is
  no overlap): a fencing GET before retire + PATCH the old version disabled + a fencing GET before the
  proof + GET the new version's tags again just before + PATCH them with the proof
  (\`rotation-retirement\`), so a checkout recorded meanwhile is kept.
- **postgres, 15** (one role, no \`rotation-logins\`): entra-user's 14 + GET the admin connection
  string named by \`rotation-connection\`, read once per rotation and shared by precheck, apply,
  verify, retire and the proof.`;

/**
 * Issue 17's target for rotations/s ÷ raw sets/s, and the figure BENCHMARKS.md held before (measured
 * the way this section measures; 0.27 before that was one cold raw phase and 3 requests a rotation).
 */
const RATIO_TARGET = {
  value: 0.4,
  previous: '0.28 (2026-12-02, rounds 0.2–0.37)',
} as const;

const table = (head: string[], rows: Array<Array<string | number>>): string =>
  [
    `| ${head.join(' | ')} |`,
    `|${head.map(() => ' --- ').join('|')}|`,
    ...rows.map((r) => `| ${r.join(' | ')} |`),
  ].join('\n');

function requestsSection(r: BenchResults): string {
  return `## Key Vault requests per rotation

Counted by the emulator itself (\`GET /_emulator/counters\`, reset before each target): manual rotations
queued as \`rotator rotate\` queues them, run by the daemon's worker (BullMQ, lock, engine).

${table(
  ['target', 'rotations', 'requests by operation', 'per rotation', 'floor', 'measured ÷ floor'],
  r.requests.map((q) => {
    const floor = FLOOR[q.target];
    return [
      q.target,
      q.rotations,
      Object.entries(q.byOperation)
        .filter(([op]) => op !== 'badRequest')
        .map(([op, n]) => `${op} ${n}`)
        .join(', '),
      q.perRotation,
      floor ?? '?',
      floor === undefined ? '?' : (q.perRotation / floor).toFixed(2),
    ];
  }),
)}

The floor of a rotation that survives a crash at any step:

${FLOOR_REASONS}

The GET of the pending record answers 404 when no rotation is open (it is counted under \`getSecret\`).
PostgreSQL is a throwaway role on the local server, created and dropped by the bench. The Entra targets
run their real apply and retire against a directory faked in-process behind the rotator's Graph
interface (entra-user's own ROPC verify goes to a fake token endpoint in-process; entra-app's MSAL
sign-in is answered by the fake directory); no Graph or login endpoint is contacted, and neither
makes Key Vault requests, which are what is counted here.`;
}

/** What each layer of a rotation reaches, of raw sets, in the same rounds: where the ratio is lost. */
function layersTable(t: Throughput): string {
  const met = (ratio: number): string => (ratio >= RATIO_TARGET.value ? 'yes' : 'no');
  return table(
    [
      'what runs, 8 at a time',
      'per second',
      'CPU µs each',
      '÷ raw sets/s (median of rounds)',
      `≥ ${RATIO_TARGET.value}?`,
    ],
    [
      ['raw `SecretClient.setSecret`', t.rawSetsPerSecond, t.cpuUsPerRawSet, 1, '–'],
      [
        'floor: a GET and a PUT, nothing else',
        t.floorPairsPerSecond,
        t.cpuUsPerFloorPair,
        t.floorRatio,
        met(t.floorRatio),
      ],
      [
        'the engine with its Redis lock, no queue',
        t.engineRotationsPerSecond,
        t.cpuUsPerEngineRotation,
        t.engineRatio,
        met(t.engineRatio),
      ],
      [
        'a BullMQ job doing nothing, queued and run as a rotation is',
        t.emptyJobsPerSecond,
        t.cpuUsPerEmptyJob,
        '–',
        '–',
      ],
      [
        'ceiling: the engine and an empty job, one after the other',
        '–',
        t.cpuUsPerEngineRotation + t.cpuUsPerEmptyJob,
        t.ceilingRatio,
        met(t.ceilingRatio),
      ],
      [
        '**the daemon** (worker, runner, engine, lock, outcome record)',
        t.rotationsPerSecond,
        t.cpuUsPerRotation,
        t.ratio,
        met(t.ratio),
      ],
    ],
  );
}

function throughputSection(r: BenchResults): string {
  const t = r.throughput;
  const budget = r.throttled[0]?.budget ?? 300;
  const windowMs = r.throttled[0]?.windowMs ?? 2_000;
  const fitted = r.throttled.find((x) => x.mode === 'fitted');
  return `## Rotation throughput

${table(
  [
    'concurrency',
    'rotations',
    'raw setSecret/s',
    'floor GET+PUT/s',
    'rotations/s',
    'vault requests/s while rotating',
    'rotations/s ÷ raw sets/s (rounds: lowest–highest)',
    'target',
    'previous',
    'floor ÷ raw',
    'rotations ÷ floor',
  ],
  [
    [
      t.concurrency,
      t.rotations,
      t.rawSetsPerSecond,
      t.floorPairsPerSecond,
      t.rotationsPerSecond,
      t.requestsPerSecondWhileRotating,
      `**${t.ratio}** (${t.ratioRange[0]}–${t.ratioRange[1]})`,
      `≥ ${RATIO_TARGET.value}`,
      RATIO_TARGET.previous,
      t.floorRatio,
      t.ofFloor,
    ],
  ],
)}

The target is ${t.ratio >= RATIO_TARGET.value ? 'met' : '**not met**'}. ${t.rounds} alternating rounds of ${Math.round(t.rotations / t.rounds)} secrets each: raw
(${t.concurrency} loops calling \`SecretClient.setSecret\` back to back on new names), floor (${t.concurrency} loops making
a GET and a PUT of secrets of their own, tagged as a rotated secret is, tags kept, through the
rotator's own vault adapter, with nothing else around them) and rotations (manual rotations of those secrets queued at once, run by the daemon's
worker with \`ROTATOR_WORKER_CONCURRENCY=${t.concurrency}\`, no rate limit). Each ratio is the median of the
rounds' own (a round's phases run within a few seconds, so a machine whose speed drifts meets
them alike; the spread in brackets is how much it drifted here). The secrets are in the state a
scheduled rotation meets: rotated once by the rotator and that rotation's follow-up done (set up by the
engine before the daemon starts, not measured), so a rotation is a GET and a PUT (\`src/rotation\`
lists versions only behind a version the rotator did not commit; "Key Vault requests per rotation").

### Where the ratio goes, layer by layer

Each round also measures, on secrets of their own in the same state, the layers a rotation is made of:
the engine (\`rotateSecret\`) with the rotator's Redis lock called directly, no queue; and BullMQ jobs
planned and queued as \`rotator rotate\` queues rotations, run by a worker with the same concurrency
whose processor does nothing. The emulator, the SDK client, Redis's client, BullMQ and the daemon share
one process and its main thread, so these phases are bound by that thread's CPU and their times per
secret add: an engine rotation and an empty job one after the other give the ceiling of any design
that runs one queue job per rotation.

${layersTable(t)}

What bounds it here: the floor reaches ${t.floorRatio} of raw sets (a rotation is two requests, a raw set one).
The engine with its lock, and nothing queued, reaches ${t.engineRatio}: its lock costs a SET NX and a release,
and it builds the new version's tags. A BullMQ job that does nothing costs ${t.cpuUsPerEmptyJob} µs of CPU
(its moves through BullMQ's Redis scripts, its options and data packed and parsed), so one job per
rotation caps the ratio at **${t.ceilingRatio}** on this machine before the worker does anything of its own.
The daemon's worker reaches ${t.ratio}: the rest (${Math.max(0, t.cpuUsPerRotation - t.cpuUsPerEngineRotation - t.cpuUsPerEmptyJob)} µs of CPU a
rotation beyond the engine and an empty job) is spread thin: a CPU profile of the daemon's rotations
against the engine's shows no item above about 100 µs, the largest being one more Redis write (the lock's
SET NX leaves on its own once the job is fetched: 2 Redis socket writes a rotation against the engine's
1), then BullMQ parsing the fetched job and packing its finish, garbage collection, the job's schema
check and the outcome record. CPU figures are of all the process's threads; Redis's own CPU is left out.

What that means: ${RATIO_TARGET.value} would need a rotation's own work, queue included, to cost less than a quarter of
its two Key Vault requests, and on this machine an empty queue job alone costs about ${Math.round((100 * t.cpuUsPerEmptyJob) / Math.max(1, t.cpuUsPerFloorPair))}% of them.
Reaching it would take several rotations per job and per lock (a batch), which gives up the job per
trigger that makes "never twice for one trigger" checkable in Redis and in the model
(\`model/rotation.pml\`); against Key Vault itself, whose requests take milliseconds, not the emulator's
tenth of one, and whose budget is 300 writes per 10 s, a rotation's own work is not what limits it.
\`npm run bench -- --only throughput --cpu-prof FILE\` profiles the last round's rotations (a sample
every 100 µs) and prints where its samples went.

### Under a vault's request budget

The emulator throttles like Key Vault: a budget per sliding window, scaled down from 300 per 10 s
to ${budget} requests per ${windowMs / 1000} s to keep the run short, answering 429 with Retry-After beyond it
(the emulator counts every request against it; a first rotation of these keyvault secrets spends 3: GET, version list, PUT). Budget used = requests
served per second in the steady state (from a quarter to three quarters of the rotations done, so
without the first window's free burst and the tail) ÷ the budget's rate of ${budget / (windowMs / 1000)} requests/s.

${table(
  [
    'limiter',
    'ROTATOR_RATE_LIMIT',
    'rotations',
    'seconds',
    'requests',
    '429s',
    'budget used (steady)',
    'rotations/s',
  ],
  r.throttled.map((x) => [
    x.mode,
    x.rateLimit,
    x.rotations,
    x.seconds,
    x.requests,
    x.throttled,
    `${x.budgetUsedPercent}%`,
    x.rotationsPerSecond,
  ]),
)}

BullMQ's limiter counts fixed periods and the vault a sliding window: a sliding window k periods long
overlaps k+1 of them, so "max M per period" lets (k+1)·M rotations into it. Stated per whole window
(\`per-window\`, k = 1) even 90% of the budget puts up to 180% into one window across a period edge: 429s,
each a retry with backoff (its steady figure can look high because those bursts fill the windows, but
every edge costs 429s; with no limiter at all, workers sit out each Retry-After and use less).
\`smoothed\` states 90% over a tenth of the window (at most 99% in any window). \`fitted\` picks the period and M with the highest steady rate k·M such that
(k+1)·M·requests-per-rotation ≤ budget${fitted === undefined ? '' : `: **\`${fitted.rateLimit}\`** here, which used ${fitted.budgetUsedPercent}% of the budget with ${fitted.throttled} 429s`}.
For Key Vault's real 300 PUTs per 10 s and up to 3 PUTs per rotation (postgres: pending, commit, tombstone)
the same rule gives \`${rateLimitFor('fitted', 300, 10_000, 3)}\`. The rotator no longer relies on it: each vault's request
budget (next section) counts a true sliding window, and \`ROTATOR_RATE_LIMIT\` is off by default.`;
}

/** The target of issue 17: each vault at ≥ 90% of its own budget, with 0 429s, in the same run. */
const VAULT_TARGET = { budgetUsedPercent: 90, throttled: 0 };

export function severalVaultsSection(v: SeveralVaults): string {
  const window = v.windowMs / 1000;
  const met = v.vaults.every(
    (x) =>
      x.writeBudgetUsedPercent >= VAULT_TARGET.budgetUsedPercent && x.throttled === VAULT_TARGET.throttled,
  );
  return `### Several vaults, each at its own budget

${v.vaults.length} emulator processes (one vault each), each throttled like Key Vault on a short window: ${v.writeBudget} secret
writes and ${v.otherBudget} other operations per sliding ${window} s (Key Vault: 300 and 4,000 per 10 s), counted apart,
answering 429 with Retry-After beyond either. ${v.replicas === 1 ? 'One `rotator daemon`' : `${v.replicas} \`rotator daemon\` replicas`} (processes of their own,
\`ROTATOR_WORKER_CONCURRENCY=${v.concurrency}\` each, no \`ROTATOR_RATE_LIMIT\`) rotate keyvault-target secrets on all of
them at once, with \`ROTATOR_VAULT_BUDGETS\` set to the same budgets, shared through Redis (the subscription cap, 5× a vault's,
does not bind for ${v.vaults.length} vaults). Budget used = that vault's requests served per second in the steady
state (from a quarter to three quarters of all rotations done, ${v.steadySeconds} s here) ÷ its budget's rate; over a
span that is not a whole number of windows it can pass 100% without any window holding more than the
budget (the sliding log lets each window's budget go at once). The whole run took ${v.seconds} s.

${table(
  [
    'vault',
    'rotations',
    'writes served',
    'others served',
    '429s (target 0)',
    'write budget used, steady (target ≥ 90%)',
    'others budget used, steady',
  ],
  v.vaults.map((x) => [
    x.vault,
    x.rotations,
    x.writesServed,
    x.othersServed,
    x.throttled,
    `${x.writeBudgetUsedPercent}%`,
    `${x.othersBudgetUsedPercent}%`,
  ]),
)}

Target: every vault at ≥ 90% of its own write budget with 0 429s, all in this one run: **${met ? 'met' : 'not met'}**
(previous: none; one limiter across all vaults gave ${v.vaults.length} vaults the rate of one). A keyvault rotation
writes once (the PUT) and reads twice, so the write budget is the one that binds. How: each request is
counted as it is sent (a pipeline policy after the SDK's retry policy, so retries count too) in a
sliding log per vault and class in Redis, with the subscription's log checked in the same script;
a slot counts until a full window after its answer, so no two requests a window apart can meet in
the vault's window whatever the latency. A job whose vault has no write slot goes back to delayed
until one frees, without spending an attempt, so the workers serve the other vaults meanwhile.`;
}

function latenessSection(r: BenchResults): string {
  const l = r.lateness;
  return `## Forced-rotation lateness

${table(
  ['checkouts', 'grace', 'spread over', 'p50', 'p99', 'max', 'started early'],
  [
    [
      l.checkouts,
      l.grace,
      `${l.spreadSeconds} s`,
      `${l.p50Ms} ms`,
      `${l.p99Ms} ms`,
      `${l.maxMs} ms`,
      l.early,
    ],
  ],
)}

Checkouts go on the \`usage-events\` queue one by one, spread evenly, to a running daemon
(\`ROTATOR_USAGE_GRACE=${l.grace}\`, 8 workers). Lateness = the forced rotation job's start (BullMQ's
\`processedOn\`) − its due time (checkout + grace, the job's \`dueAt\`).`;
}

/** Before issue 17 (BENCHMARKS.md of 2026-12-01; the issue's own table said 14.8 s, 312 MB, ~1.2 KB). */
const BEFORE_17 = {
  sweep100k: '10.94 s (issue: 14.8 s)',
  peak100k: '306.2 MB (issue: 312 MB)',
  bytes: '1196 B (issue: ~1.2 KB)',
};

/** The daemon as deployed: at rest (the smallest run) and at its biggest sweep, Azure Monitor exporting. */
function deployedRows(deployed: readonly DeployedSweep[]): Array<Array<string | number>> {
  const [rest, ...swept] = [...deployed].sort((a, b) => a.secrets - b.secrets);
  const big = swept[swept.length - 1];
  const rows: Array<Array<string | number>> = [];
  if (rest !== undefined) {
    rows.push([
      `daemon idle RSS (${rest.secrets} secrets, swept, at rest), as deployed: run as the image runs it, Azure Monitor exporting`,
      `${rest.daemonRestRssMb} MB`,
      'reported',
      'not measured',
    ]);
  }
  if (big !== undefined) {
    rows.push([
      `daemon peak RSS, ${big.secrets} secrets, as deployed: run as the image runs it, Azure Monitor exporting (${big.telemetryItems} items accepted)`,
      `${big.daemonPeakRssMb} MB`,
      '≤ 150 MB',
      big.secrets === 100_000 ? "not measured (~181 MB before the listing's pages went untraced)" : '-',
    ]);
  }
  return rows;
}

function targetsTable(
  r: Pick<BenchResults, 'idle' | 'sweeps' | 'million' | 'millionTuned' | 'deployed'>,
): string {
  const plain = r.sweeps.filter((s) => s.nodeOptions === undefined);
  const big = plain[plain.length - 1];
  const tuned = r.sweeps.find((s) => s.nodeOptions !== undefined);
  const m = r.million;
  const rows: Array<Array<string | number>> = [];
  // The previous figures were measured at 100,000 secrets; other sizes (smoke) have none to compare.
  const before = (text: string): string => (big?.secrets === 100_000 ? text : '-');
  if (big !== undefined) {
    rows.push([`sweep, ${big.secrets} secrets`, `${big.sweepSeconds} s`, '-', before(BEFORE_17.sweep100k)]);
    rows.push([
      `daemon peak RSS, ${big.secrets} secrets, Node's defaults`,
      `${big.daemonPeakRssMb} MB`,
      '≤ 150 MB',
      before(BEFORE_17.peak100k),
    ]);
    if (tuned !== undefined) {
      rows.push([
        `daemon peak RSS, ${tuned.secrets} secrets, as the image runs it (\`${tuned.nodeOptions ?? ''}\`)`,
        `${tuned.daemonPeakRssMb} MB`,
        '≤ 150 MB',
        before(BEFORE_17.peak100k),
      ]);
    }
    rows.push([
      `Redis per managed secret, ${big.secrets} secrets, P13D`,
      `${big.redisBytesPerSecret} B`,
      '≤ 100 B',
      before(BEFORE_17.bytes),
    ]);
  }
  if (r.idle !== undefined) {
    rows.push([
      `daemon idle RSS (${r.idle.secrets} secrets, swept, at rest, as the image runs it)`,
      `${r.idle.idleRssMb} MB`,
      'reported',
      'not measured',
    ]);
  }
  rows.push(...deployedRows(r.deployed ?? []));
  if (m !== undefined) {
    rows.push([
      `sweep, ${m.secrets} secrets in ${m.vaults} vaults`,
      `${m.sweepSeconds} s`,
      'reported',
      'not measured',
    ]);
    rows.push([
      `daemon peak RSS, ${m.secrets} secrets`,
      `${m.daemonPeakRssMb} MB`,
      'reported',
      'not measured',
    ]);
    if (r.millionTuned !== undefined) {
      rows.push([
        `daemon peak RSS, ${m.secrets} secrets, as the image runs it (\`${r.millionTuned.nodeOptions ?? ''}\`)`,
        `${r.millionTuned.daemonPeakRssMb} MB`,
        'reported',
        'not measured',
      ]);
    }
    rows.push([
      `Redis per managed secret, ${m.secrets} secrets`,
      `${m.redisBytesPerSecret} B (${m.redisKeys} keys)`,
      'reported',
      'not measured',
    ]);
  }
  return table(['figure', 'now', 'target', 'before (issue 17)'], rows);
}

export function sweepSection(
  r: Pick<BenchResults, 'idle' | 'sweeps' | 'million' | 'millionTuned' | 'deployed'>,
): string {
  const all = [
    ...r.sweeps,
    ...(r.million === undefined ? [] : [r.million]),
    ...(r.millionTuned === undefined ? [] : [r.millionTuned]),
    ...(r.deployed ?? []),
  ];
  return `## Sweep at scale

One sweep of \`rotator daemon\` (a process of its own, \`ROTATOR_SWEEP_INTERVAL=PT5M\`, so a horizon of
PT15M) over emulated vaults (a process each, loaded from a state file written directly) holding that
many managed secrets on a P13D schedule, none overdue. The sweep lists every vault (4 at a time),
queues a delayed job only for the secrets due within the horizon and writes the fleet snapshot.

${targetsTable(r)}

${table(
  [
    'managed secrets',
    'vaults',
    'daemon',
    'sweep',
    'queued (due within PT15M)',
    'beyond the horizon',
    'vault requests',
    'daemon peak RSS',
    'RSS 5 s after',
    'Redis per secret',
    'Redis keys',
  ],
  all.map((s) => [
    s.secrets,
    s.vaults,
    s.nodeOptions ?? "Node's defaults",
    `${s.sweepSeconds} s`,
    s.queued,
    s.beyondHorizon,
    s.vaultRequests,
    `${s.daemonPeakRssMb} MB`,
    `${s.daemonRestRssMb} MB`,
    `${s.redisBytesPerSecret} B`,
    s.redisKeys,
  ]),
)}

- Vault requests are the list pages (25 secrets a page, Key Vault's maximum): the sweep reads the tags
  from the listing and never GETs a secret. The daemon holds each vault to Key Vault's own budget
  (4,000 other operations per 10 s; README "Request budgets"), so 100,000 secrets (4,001 pages) take
  about 10 s however fast the emulator answers, and ten vaults listed 4 at a time about 4 windows:
  the sweep time is the budget's, not the rotator's.
- Redis per secret: \`MEMORY USAGE\` of the run's own keys (a dedicated database and key prefix) ÷
  secrets: the delayed jobs of the secrets due within the horizon, the near-future index, the sweep's
  own queue and the fleet snapshot (its counts and the 1,000 oldest secrets, ~15 KB gzipped, whatever
  the fleet's size; before, it also held every secret as a gzip-packed line, ~6 B a secret).
- Peak RSS is the daemon process's VmHWM (Linux), sampled while it sweeps, 5 s after and through its
  stop, whose final export of spans and metrics (the fleet gauges included) is the work every
  minute's export does; "RSS 5 s after" is read before the stop. The daemon's
  live heap stays near 30 MB through a sweep; its RSS above that is V8 sizing the heap for a 24 GB
  machine (a young generation grown to 128 MB), which the image caps with the \`NODE_OPTIONS\` its
  \`Dockerfile\` sets, and V8's compilers' own memory, which the launcher's \`--optimize-for-size\`
  trims (both read by the bench from the files): the rows "as the image runs it".
- "As deployed" adds what a daemon in Azure also runs: Azure Monitor's OpenTelemetry distro, loaded
  only when \`APPLICATIONINSIGHTS_CONNECTION_STRING\` is set, exporting to a local ingestion endpoint
  that accepts every item (offline storage on, as the image sets it). The distro probes the instance
  metadata address, so that run (vaults, a Redis of its own, the daemon, the endpoint) happens in a
  network namespace with only loopback. The distro and its instrumentations are ~18 MB of the daemon
  at rest. A sweep's listing pages are not traced one by one (\`src/vault/untraced-iteration.ts\`):
  with a span per page's request the same sweep peaked at ~181 MB; the sweep keeps its one
  \`schedule.sweep\` span. Most accepted items are \`rotator.secret.age\` points, one per secret for
  the 1,000 oldest, which the sweep keeps in the snapshot, so an export reads those and no more
  (before, each export decompressed a line per secret: ~10 MB more at the stop at 100,000 secrets).
  What the sweep keeps grows with the near future only (live heap ~28 MB with
  300,000 secrets listed, measured with forced GCs); a loop that only lists the vault through
  \`SecretClient\` and keeps nothing reaches the same resident size, so what is left at a million is
  V8 and native memory of the listing itself, not returned to the system.`;
}

export function renderReport(r: BenchResults, chaos: string | undefined): string {
  const m = r.machine;
  return `# Benchmarks

Written by \`${r.command}\` on ${r.date} (size \`${r.size}\`, ${r.totalSeconds} s in all).

Machine: ${m.cpu}, ${m.cores} cores, ${m.memoryGb} GB memory, Node ${m.node}, Redis ${m.redis}; load
average ${m.loadAverage} when the bench started. Everything runs on this one machine: the Key Vault
emulator (HTTPS, the real \`SecretClient\`), Redis (databases 13 and 14, under a key prefix per run),
PostgreSQL and the rotator, so absolute rates are the machine's; the request counts and ratios
are what carries over to Azure.

${requestsSection(r)}

${throughputSection(r)}
${r.vaults === undefined ? '' : `\n${severalVaultsSection(r.vaults)}\n`}
${latenessSection(r)}

${sweepSection(r)}
${r.audit === undefined ? '' : `\n${auditSection(r.audit)}\n`}${chaos === undefined ? '' : `\n## Chaos suite\n\nFigures of the last full run, \`npm run test:chaos\` (the bounded version of each test runs in \`npm test\`):\n\n${chaos}\n`}`;
}
