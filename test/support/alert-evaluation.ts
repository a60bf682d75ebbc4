/**
 * The two rotation alert rules of bicep/modules/alerts.bicep, evaluated over the envelopes the Azure
 * Monitor exporter sent (what `requests` would hold), step for step as their KQL reads:
 * - paging: `rotation` requests with outcome failed or quarantined, counted by secret;
 * - stuck retrying: per secret, the last outcome (postponed ignored) is retrying and the first retry
 *   since the last settled outcome is older than retryingAlertMinutes.
 */
interface Envelope {
  time?: string;
  data?: { baseType?: string; baseData?: { name?: string; properties?: Record<string, string> } };
}

interface Rotation {
  at: number;
  secret: string;
  outcome: string;
}

function rotations(envelopes: Envelope[]): Rotation[] {
  return envelopes
    .filter((e) => e.data?.baseType === 'RequestData' && e.data.baseData?.name === 'rotation')
    .map((e) => ({
      at: Date.parse(e.time ?? ''),
      secret: e.data?.baseData?.properties?.['rotator.secret'] ?? '',
      outcome: e.data?.baseData?.properties?.['rotator.outcome'] ?? '',
    }));
}

function countBy(rows: Rotation[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const r of rows) counts[r.secret] = (counts[r.secret] ?? 0) + 1;
  return counts;
}

export interface AlertFigures {
  /** `failures` per secret of the paging rule (quarantined or failed). */
  paging: Record<string, number>;
  /** Secrets the stuck-retrying rule fires for, with their minutes retrying. */
  stuckRetrying: Record<string, number>;
  /** How many retrying spans each secret had (no rule fires on these alone). */
  retryingSpans: Record<string, number>;
  outcomes: Record<string, string[]>;
}

export function alertFigures(
  envelopes: Envelope[],
  options: { retryingAlertMinutes: number; now?: number },
): AlertFigures {
  const all = rotations(envelopes).sort((a, b) => a.at - b.at);
  const now = options.now ?? Date.now();
  const stuckRetrying: Record<string, number> = {};
  const spans = all.filter((r) => r.outcome !== 'postponed');
  for (const secret of new Set(spans.map((r) => r.secret))) {
    const mine = spans.filter((r) => r.secret === secret);
    const last = mine.at(-1);
    if (last?.outcome !== 'retrying') continue;
    const settledAt = Math.max(-Infinity, ...mine.filter((r) => r.outcome !== 'retrying').map((r) => r.at));
    const since = Math.min(
      ...mine.filter((r) => r.outcome === 'retrying' && r.at > settledAt).map((r) => r.at),
    );
    if (since < now - options.retryingAlertMinutes * 60_000)
      stuckRetrying[secret] = Math.round((now - since) / 60_000);
  }
  const outcomes: Record<string, string[]> = {};
  for (const r of all) (outcomes[r.secret] ??= []).push(r.outcome);
  return {
    paging: countBy(all.filter((r) => r.outcome === 'failed' || r.outcome === 'quarantined')),
    stuckRetrying,
    retryingSpans: countBy(all.filter((r) => r.outcome === 'retrying')),
    outcomes,
  };
}
