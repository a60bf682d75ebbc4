import { INGESTION_TIME, type Row } from './schema';

/** What the emulator keeps in memory: the last 100k requests, about 100 MB at worst. */
export const DEFAULT_LOG_CAPACITY = 100_000;

interface Entry {
  row: Row;
  /** When the row becomes visible to queries: Log Analytics ingests minutes late. */
  visibleAt: number;
}

/**
 * The emulator's request log, bounded (the oldest rows fall off) and with an ingestion delay, so
 * a watcher's overlap window and late rows can be tested. The clock is injected.
 */
export class RequestLog {
  private readonly entries: Entry[] = [];
  private head = 0;
  private delayMs: number;

  constructor(
    private readonly capacity: number = DEFAULT_LOG_CAPACITY,
    ingestionDelayMs = 0,
    private readonly now: () => number = Date.now,
  ) {
    this.delayMs = ingestionDelayMs;
  }

  get ingestionDelayMs(): number {
    return this.delayMs;
  }

  set ingestionDelayMs(ms: number) {
    this.delayMs = ms;
  }

  /** Adds a row; it becomes queryable after `delayMs` (default: the log's ingestion delay). */
  append(row: Row, delayMs: number = this.delayMs): void {
    const entry = { row, visibleAt: this.now() + delayMs };
    if (this.entries.length < this.capacity) this.entries.push(entry);
    else {
      this.entries[this.head] = entry;
      this.head = (this.head + 1) % this.capacity;
    }
  }

  /** Rows already ingested, oldest first. */
  visible(): Row[] {
    const now = this.now();
    return this.ordered()
      .filter((e) => e.visibleAt <= now)
      .map((e) => e.row);
  }

  /** Rows already ingested, each with its ingestion time (for KQL's ingestion_time()). */
  ingested(): Row[] {
    const now = this.now();
    return this.ordered()
      .filter((e) => e.visibleAt <= now)
      .map((e) => ({ ...e.row, [INGESTION_TIME]: new Date(e.visibleAt) }));
  }

  /** Every row, ingested or not (for the admin endpoint). */
  all(): Array<{ row: Row; visibleAt: number }> {
    return this.ordered();
  }

  clear(): void {
    this.entries.length = 0;
    this.head = 0;
  }

  private ordered(): Entry[] {
    return this.head === 0
      ? this.entries
      : [...this.entries.slice(this.head), ...this.entries.slice(0, this.head)];
  }
}
