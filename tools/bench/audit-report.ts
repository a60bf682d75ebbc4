import type { AuditScanCost } from './audit-scan';

const table = (head: string[], rows: Array<Array<string | number>>): string =>
  [
    `| ${head.join(' | ')} |`,
    `|${head.map(() => ' --- ').join('|')}|`,
    ...rows.map((r) => `| ${r.join(' | ')} |`),
  ].join('\n');

/** The reads backstop's section of BENCHMARKS.md. */
export function auditSection(a: AuditScanCost | undefined): string {
  if (a === undefined) return '';
  return `## Reads backstop (audit-log watcher)

${table(
  [
    'audit rows',
    'queries',
    'scan',
    'daemon CPU',
    'heap Δ',
    'vault requests',
    'reads outside',
    'secrets forced',
    'Redis claims',
  ],
  [
    [
      a.rows,
      a.pages,
      `${a.scanMs} ms`,
      `${a.cpuMs} ms`,
      `${a.heapMb} MB`,
      a.keyVaultRequests,
      a.unbrokeredReads,
      a.secretsForced,
      `${a.redisClaimKeys} keys, ${a.redisClaimBytes} B`,
    ],
  ],
)}

- One scan over ${a.rows} \`AZKVAuditLogs\` rows (10,000 in the log; a full page's last row is read again by
  the next page) of one poll (${a.secrets} managed secrets read by their listed
  reader, the rotator's own reads, and ${a.unbrokeredReads} reads of 5 secrets by an identity outside
  \`rotation-readers\`), through the real \`LogsQueryClient\` against a local query endpoint whose
  answers are serialised in advance, the real vault adapter (emulator), Redis and the usage path.
  Pages hold 5,000 rows; the next page starts at the last row's time, so a full page costs one more query.
- Vault requests: one GET per distinct secret named in the rows (its tags: managed? routine readers?)
  plus GET, tag update and GET per secret whose use is recorded. A flood of reads of one secret costs
  one look-up and one recording.
- **Added Log Analytics queries**: ${a.replicas} replicas polling share one lease per interval, so the
  workspace sees ${a.queriesPerPoll} query per \`ROTATOR_AUDIT_POLL\` whatever the number of replicas: at the
  default \`PT1M\`, 1 query a minute when a poll has under 5,000 rows, ${a.queriesPerMinuteAtDefaultPoll} a minute at
  ${a.rows} rows in a scan. Each scan re-reads the 10-minute overlap window (ingestion delay), so in a
  steady state a scan reads about 11 polls' worth of rows: its cost is the table's row for 11× the rows
  of one minute (claimed reads are skipped at one Redis round trip per page).
- Redis: one claim key per read outside the rotator (kept about 35 min: twice the 10-minute overlap
  plus the longest backoff), and the watermark.`;
}
