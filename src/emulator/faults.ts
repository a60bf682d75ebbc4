import { KvError } from './errors';

export interface FaultOptions {
  /** Requests per window before answering 429, like a vault's per-10-s budget; 0 or unset = off. */
  throttleBudget?: number;
  /** Default 10000, Key Vault's window. */
  throttleWindowMs?: number;
  /** Send `Retry-After` on throttling (default true); real 429s have been seen without it. */
  throttleRetryAfter?: boolean;
  /** 0..1: fraction of requests answered 429 or 503 at random. */
  errorRate?: number;
  latencyMs?: number;
  /** 0..0.9: fraction of list requests answered with an empty page that still has a nextLink, as the service sometimes does. */
  emptyPageRate?: number;
}

function check(f: FaultOptions): FaultOptions {
  const out: FaultOptions = {};
  const num = (k: keyof FaultOptions, v: unknown, max = Number.MAX_SAFE_INTEGER): void => {
    if (v === undefined) return;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || v > max) {
      throw new KvError(400, 'BadParameter', `fault option ${k} must be a number between 0 and ${max}`);
    }
    (out as Record<string, unknown>)[k] = v;
  };
  num('throttleBudget', f.throttleBudget);
  num('throttleWindowMs', f.throttleWindowMs);
  num('errorRate', f.errorRate, 1);
  num('latencyMs', f.latencyMs, 600_000);
  // Below 1, or a client following nextLink would never reach the end.
  num('emptyPageRate', f.emptyPageRate, 0.9);
  if (f.throttleRetryAfter !== undefined) {
    if (typeof f.throttleRetryAfter !== 'boolean') {
      throw new KvError(400, 'BadParameter', 'fault option throttleRetryAfter must be a boolean');
    }
    out.throttleRetryAfter = f.throttleRetryAfter;
  }
  return out;
}

/**
 * Decides per request whether to delay, throttle or fail it. A sliding window rather than fixed
 * buckets, so a burst straddling a bucket edge cannot get twice the budget through.
 */
export class FaultController {
  private options: FaultOptions = {};
  private accepted: number[] = [];

  constructor(
    options: FaultOptions = {},
    private readonly now: () => number = Date.now,
    private readonly random: () => number = Math.random,
  ) {
    this.set(options);
  }

  /** Replaces the whole fault set (throws KvError on invalid input); resets the throttle window. */
  set(options: FaultOptions): void {
    this.options = check(options);
    this.accepted = [];
  }

  get(): FaultOptions {
    return { ...this.options };
  }

  latencyMs(): number {
    return this.options.latencyMs ?? 0;
  }

  /** Whether this list request gets an empty page with a nextLink instead of items. */
  emptyPage(): boolean {
    const rate = this.options.emptyPageRate ?? 0;
    return rate > 0 && this.random() < rate;
  }

  /** Returns the fault to answer with, or undefined to serve the request (which then uses budget). */
  decide(): { error: KvError; kind: 'throttled' | 'injected' } | undefined {
    const budget = this.options.throttleBudget ?? 0;
    if (budget > 0) {
      const windowMs = this.options.throttleWindowMs ?? 10_000;
      const now = this.now();
      this.accepted = this.accepted.filter((t) => t > now - windowMs);
      const oldest = this.accepted[0];
      if (this.accepted.length >= budget && oldest !== undefined) {
        const waitS = Math.max(1, Math.ceil((oldest + windowMs - now) / 1000));
        const headers: Record<string, string> =
          this.options.throttleRetryAfter === false ? {} : { 'retry-after': String(waitS) };
        const msg = `Operations per ${windowMs} ms exceeded the vault's budget of ${budget}. Try again later.`;
        return { error: new KvError(429, 'Throttled', msg, headers), kind: 'throttled' };
      }
      this.accepted.push(now);
    }
    const rate = this.options.errorRate ?? 0;
    if (rate > 0 && this.random() < rate) {
      const retryAfter = this.random() < 0.5 ? '0' : '1';
      const error =
        this.random() < 0.5
          ? new KvError(429, 'Throttled', 'Injected throttling.', { 'retry-after': retryAfter })
          : new KvError(503, 'ServiceUnavailable', 'Injected outage.', { 'retry-after': retryAfter });
      return { error, kind: 'injected' };
    }
    return undefined;
  }
}
