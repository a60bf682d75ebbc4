/**
 * How many of the oldest secrets a fleet snapshot names: each gets a `rotator.secret.age` series. The
 * metrics SDK keeps at most 2,000 series per instrument and folds the rest into one overflow series,
 * whichever secrets those are, and a fleet of 100,000 would cost as many series a minute in Azure
 * Monitor; the oldest are the ones an operator looks for, and `rotator.secret.oldest_age` and
 * `rotator.secrets.overdue` still cover every secret.
 */
export const OLDEST_KEPT = 1_000;

/** A secret by its last rotation (epoch ms), as the sweep adds it. */
export interface AgedSecret {
  secret: string;
  vault: string;
  lastRotatedMs: number;
}

/**
 * The `limit` secrets rotated longest ago, kept while the sweep adds a fleet of any size: at most
 * twice `limit` candidates are held, cut back to the oldest `limit` whenever they fill up, and a secret
 * rotated after the newest one kept at a cut is passed over. So the gauges read these from the
 * snapshot instead of decompressing every secret at each export.
 */
export class OldestSecrets {
  private kept: AgedSecret[] = [];
  private newestKeptMs = Infinity;

  constructor(private readonly limit: number = OLDEST_KEPT) {}

  add(secret: string, vault: string, lastRotatedMs: number): void {
    if (this.limit === 0 || lastRotatedMs > this.newestKeptMs) return;
    this.kept.push({ secret, vault, lastRotatedMs });
    if (this.kept.length >= 2 * this.limit) this.cut();
  }

  /** Oldest first, at most `limit`. */
  list(): AgedSecret[] {
    this.cut();
    return [...this.kept];
  }

  private cut(): void {
    this.kept.sort((a, b) => a.lastRotatedMs - b.lastRotatedMs);
    if (this.kept.length > this.limit) this.kept.length = this.limit;
    const newest = this.kept[this.limit - 1];
    if (newest !== undefined) this.newestKeptMs = newest.lastRotatedMs;
  }
}
