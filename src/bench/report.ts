import type { Lateness } from './lateness';
import type { Machine } from './machine';
import type { RequestsPerRotation } from './requests-per-rotation';
import type { SweepScale } from './sweep-scale';
import type { Throttled, Throughput } from './throughput';

export interface BenchResults {
  date: string;
  command: string;
  size: string;
  totalSeconds: number;
  machine: Machine;
  requests: RequestsPerRotation[];
  throughput: Throughput;
  throttled: Throttled[];
  lateness: Lateness;
  sweeps: SweepScale[];
}

/** The floor of a safe rotation per target, and why: the protocol in src/rotation/rotate-secret.ts. */
const FLOOR: Record<string, { requests: number; why: string }> = {
  keyvault: {
    requests: 2,
    why: 'GET current (tags: is the trigger already satisfied?) + PUT the new version; the new version is the commit, so no pending record is needed',
  },
  postgres: {
    requests: 6,
    why: 'GET current + GET pending (an interrupted rotation to recover?) + PUT pending (write-ahead, before ALTER ROLE) + GET admin connection + PUT new version (commit) + PATCH pending closed',
  },
};

const table = (head: string[], rows: Array<Array<string | number>>): string =>
  [
    `| ${head.join(' | ')} |`,
    `|${head.map(() => ' --- ').join('|')}|`,
    ...rows.map((r) => `| ${r.join(' | ')} |`),
  ].join('\n');

export function renderReport(r: BenchResults, chaos: string | undefined): string {
  const m = r.machine;
  return `# Benchmarks

Written by \`${r.command}\` on ${r.date} (size \`${r.size}\`, ${r.totalSeconds} s in all). Machine: ${m.cpu},
${m.cores} cores, ${m.memoryGb} GB, Node ${m.node}, Redis ${m.redis}. Everything runs on this one machine:
the Key Vault emulator (HTTPS, the real \`SecretClient\`), Redis, PostgreSQL and the rotator, so absolute
rates are the machine's; the ratios and request counts are what carries over to Azure.

## Key Vault requests per rotation

From the emulator's own counters, rotations queued as \`rotator rotate\` queues them and run by the daemon's worker.

${table(
  ['target', 'rotations', 'requests by operation', 'per rotation', 'floor', 'measured ÷ floor'],
  r.requests.map((q) => [
    q.target,
    q.rotations,
    Object.entries(q.byOperation)
      .filter(([op]) => op !== 'badRequest')
      .map(([op, n]) => `${op} ${n}`)
      .join(', '),
    q.perRotation,
    FLOOR[q.target]?.requests ?? '?',
    FLOOR[q.target] === undefined ? '?' : (q.perRotation / (FLOOR[q.target]?.requests ?? 1)).toFixed(2),
  ]),
)}

${Object.entries(FLOOR)
  .map(([target, f]) => `- **${target}** floor ${f.requests}: ${f.why}.`)
  .join('\n')}
- Entra targets (entra-app, entra-user) follow the postgres protocol (external targets) and cost the same 5
  vault requests plus none for a connection secret; they are not measured here (no Graph in the bench).

## Rotation throughput

${table(
  [
    'concurrency',
    'rotations',
    'raw setSecret/s',
    'rotations/s',
    'vault requests/s while rotating',
    'rotations/s ÷ raw sets/s',
  ],
  [
    [
      r.throughput.concurrency,
      r.throughput.rotations,
      r.throughput.rawSetsPerSecond,
      r.throughput.rotationsPerSecond,
      r.throughput.requestsPerSecondWhileRotating,
      r.throughput.ratio,
    ],
  ],
)}

A keyvault rotation costs 2 requests, so 0.5 of the raw set rate is the ceiling: the rotator's own work
(Redis lock, job bookkeeping) costs the difference.

### Under a vault's request budget

The emulator throttles like Key Vault: a budget per sliding window (scaled down to
${r.throttled[0]?.budget ?? '?'} requests per ${(r.throttled[0]?.windowMs ?? 0) / 1000} s to keep the run short), answering 429 with
Retry-After beyond it. The daemon's \`ROTATOR_RATE_LIMIT\` is set to 90% of the budget.

${table(
  ['limiter', 'ROTATOR_RATE_LIMIT', 'rotations', 'seconds', 'requests', '429s', 'budget used', 'rotations/s'],
  r.throttled.map((t) => [
    t.mode,
    t.rateLimit,
    t.rotations,
    t.seconds,
    t.requests,
    t.throttled,
    `${t.budgetUsedPercent}%`,
    t.rotationsPerSecond,
  ]),
)}

BullMQ's limiter counts fixed windows and the vault a sliding one: "N per window" lets up to 2N into one
sliding window across a window edge, hence the 429s (each one a retry with backoff). Stating the same rate
over a tenth of the window (\`smoothed\`) bounds any sliding window to 11/10 of a tenth-rate, so the
rotator stays under the budget without retries. The default is therefore \`8/PT1S\` rather than \`100/PT10S\`.

## Forced-rotation lateness

${table(
  ['checkouts', 'grace', 'spread over', 'p50', 'p99', 'max', 'started early'],
  [
    [
      r.lateness.checkouts,
      r.lateness.grace,
      `${r.lateness.spreadSeconds} s`,
      `${r.lateness.p50Ms} ms`,
      `${r.lateness.p99Ms} ms`,
      `${r.lateness.maxMs} ms`,
      r.lateness.early,
    ],
  ],
)}

Lateness = the rotation job's start − its due time (checkout + grace), from BullMQ's \`processedOn\`.

## Sweep at scale

One sweep of \`rotator daemon\` (a process of its own) over an emulator (a process of its own) holding that
many managed secrets, none overdue, so the sweep schedules one delayed job per secret.

${table(
  ['managed secrets', 'sweep', 'scheduled', 'vault requests', 'daemon peak RSS', 'Redis per secret'],
  r.sweeps.map((s) => [
    s.secrets,
    `${s.sweepSeconds} s`,
    s.scheduled,
    s.vaultRequests,
    `${s.daemonPeakRssMb} MB`,
    `${s.redisBytesPerSecret} B`,
  ]),
)}

The vault requests are the list pages (25 secrets per page, as Key Vault answers): the sweep reads tags
from the listing and never GETs a value.
${chaos === undefined ? '' : `\n## Chaos suite\n\nFigures of the last full run, \`npm run test:chaos\` (the bounded version of each test runs in \`npm test\`):\n\n${chaos}\n`}`;
}
