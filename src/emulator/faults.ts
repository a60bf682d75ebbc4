import { KvError } from './errors';

export interface FaultOptions {
  /** Requests per window before answering 429, like a vault's per-10-s budget; 0 or unset = off. */
  throttleBudget?: number;
  /**
   * Key Vault counts secret writes (PUT, PATCH, DELETE, POST) apart from other operations: each
   * class its own budget per window (300 and 4,000 per 10 s on the service); 0 or unset = off.
   * Either applies on top of `throttleBudget`.
   */
  writeBudget?: number;
  otherBudget?: number;
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
  num('writeBudget', f.writeBudget);
  num('otherBudget', f.otherBudget);
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

/** What a request counts as against a vault's budgets: PUT, PATCH, DELETE and POST of secrets write. */
export type RequestKind = 'write' | 'other';

export function requestKind(method: string | undefined): RequestKind {
  const m = (method ?? 'GET').toUpperCase();
  return m === 'GET' || m === 'HEAD' ? 'other' : 'write';
}

/** One sliding budget: the times of the requests it let through within the last window. */
class SlidingBudget {
  private accepted: number[] = [];

  /** How long until a request fits (0: it fits now), after dropping what left the window. */
  waitMs(budget: number, windowMs: number, now: number): number {
    this.accepted = this.accepted.filter((t) => t > now - windowMs);
    if (this.accepted.length < budget) return 0;
    return (this.accepted[this.accepted.length - budget] ?? now) + windowMs - now;
  }

  record(now: number): void {
    this.accepted.push(now);
  }
}

/**
 * Decides per request whether to delay, throttle or fail it. Sliding windows rather than fixed
 * buckets, so a burst straddling a bucket edge cannot get twice the budget through.
 */
export class FaultController {
  private options: FaultOptions = {};
  private budgets = { all: new SlidingBudget(), write: new SlidingBudget(), other: new SlidingBudget() };

  constructor(
    options: FaultOptions = {},
    private readonly now: () => number = Date.now,
    private readonly random: () => number = Math.random,
  ) {
    this.set(options);
  }

  /** Replaces the whole fault set (throws KvError on invalid input); resets the throttle windows. */
  set(options: FaultOptions): void {
    this.options = check(options);
    this.budgets = { all: new SlidingBudget(), write: new SlidingBudget(), other: new SlidingBudget() };
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

  /** A 429 when any budget that applies to this request is spent; else the request counts against them. */
  private throttle(kind: RequestKind): KvError | undefined {
    const windowMs = this.options.throttleWindowMs ?? 10_000;
    const own = kind === 'write' ? this.options.writeBudget : this.options.otherBudget;
    const applying = [
      { budget: this.options.throttleBudget ?? 0, log: this.budgets.all, what: 'Operations' },
      { budget: own ?? 0, log: this.budgets[kind], what: kind === 'write' ? 'Secret writes' : 'Operations' },
    ].filter((b) => b.budget > 0);
    const now = this.now();
    for (const { budget, log, what } of applying) {
      const waitMs = log.waitMs(budget, windowMs, now);
      if (waitMs === 0) continue;
      const headers: Record<string, string> =
        this.options.throttleRetryAfter === false
          ? {}
          : { 'retry-after': String(Math.max(1, Math.ceil(waitMs / 1000))) };
      const msg = `${what} per ${windowMs} ms exceeded the vault's budget of ${budget}. Try again later.`;
      return new KvError(429, 'Throttled', msg, headers);
    }
    for (const { log } of applying) log.record(now);
    return undefined;
  }

  /** Returns the fault to answer with, or undefined to serve the request (which then uses budget). */
  decide(kind: RequestKind = 'other'): { error: KvError; kind: 'throttled' | 'injected' } | undefined {
    const throttled = this.throttle(kind);
    if (throttled !== undefined) return { error: throttled, kind: 'throttled' };
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
