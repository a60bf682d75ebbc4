import type { Cell, ColumnType } from '../audit-log/schema';

/** A timespan at run time; plain numbers stay numbers. */
export class Timespan {
  constructor(readonly ms: number) {}
}

export type Value = Cell | Timespan;

export function isDynamic(v: Value): v is Record<string, unknown> | unknown[] {
  return typeof v === 'object' && v !== null && !(v instanceof Date) && !(v instanceof Timespan);
}

export function typeOfValue(v: Value): ColumnType | undefined {
  if (v === null) return undefined;
  if (typeof v === 'string') return 'string';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'number') return Number.isInteger(v) ? 'long' : 'real';
  if (v instanceof Date) return 'datetime';
  if (v instanceof Timespan) return 'timespan';
  return 'dynamic';
}

/** KQL's tostring(): strings as they are, datetimes in ISO form, dynamic values as JSON, null as "". */
export function toText(v: Value): string {
  if (v === null) return '';
  if (typeof v === 'string') return v;
  if (v instanceof Date) return v.toISOString();
  if (v instanceof Timespan) return formatTimespan(v.ms);
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

export function formatTimespan(ms: number): string {
  const sign = ms < 0 ? '-' : '';
  let rest = Math.abs(ms);
  const days = Math.floor(rest / 86_400_000);
  rest -= days * 86_400_000;
  const h = Math.floor(rest / 3_600_000);
  rest -= h * 3_600_000;
  const m = Math.floor(rest / 60_000);
  rest -= m * 60_000;
  const s = rest / 1000;
  const pad = (n: number): string => String(n).padStart(2, '0');
  const secs = Number.isInteger(s) ? pad(s) : s.toFixed(7).padStart(10, '0');
  return `${sign}${days > 0 ? `${days}.` : ''}${pad(h)}:${pad(m)}:${secs}`;
}

/** Kusto's datetimes are UTC: a text without a zone is read as UTC, never as local time. */
export function parseUtc(text: string): Date | null {
  let t = text.trim();
  if (!/^\d{4}-\d{2}-\d{2}([ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?(Z|[+-]\d{2}:?\d{2})?$/i.test(t)) return null;
  t = t.replace(' ', 'T');
  if (/T/.test(t) && !/(Z|[+-]\d{2}:?\d{2})$/i.test(t)) t += 'Z';
  const d = new Date(t);
  return Number.isNaN(d.getTime()) ? null : d;
}

export function toDate(v: Value): Date | null {
  if (v instanceof Date) return v;
  return typeof v === 'string' ? parseUtc(v) : null;
}

/** Orders two values of comparable kinds; undefined when KQL would not compare them. */
export function compareValues(a: Value, b: Value): number | undefined {
  if (a === null || b === null) return undefined;
  if (a instanceof Date || b instanceof Date) {
    const x = toDate(a);
    const y = toDate(b);
    return x && y ? x.getTime() - y.getTime() : undefined;
  }
  if (a instanceof Timespan && b instanceof Timespan) return a.ms - b.ms;
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'boolean' && typeof b === 'boolean') return Number(a) - Number(b);
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  if (typeof a === 'string' && typeof b === 'number')
    return Number.isNaN(Number(a)) ? undefined : Number(a) - b;
  if (typeof a === 'number' && typeof b === 'string')
    return Number.isNaN(Number(b)) ? undefined : a - Number(b);
  return undefined;
}

export function equalValues(a: Value, b: Value): boolean | null {
  if (a === null || b === null) return null;
  if (isDynamic(a) || isDynamic(b)) return toText(a) === toText(b);
  const c = compareValues(a, b);
  return c === undefined ? null : c === 0;
}

const isWordChar = (c: string | undefined): boolean => c !== undefined && /[\p{L}\p{N}_]/u.test(c);

/** KQL `has`: the term appears in the text on word boundaries, case-insensitively unless `cs`. */
export function hasTerm(text: string, term: string, cs = false): boolean {
  const hay = cs ? text : text.toLowerCase();
  const needle = cs ? term : term.toLowerCase();
  if (needle === '') return true;
  for (let i = hay.indexOf(needle); i !== -1; i = hay.indexOf(needle, i + 1)) {
    const before = hay[i - 1];
    const after = hay[i + needle.length];
    const startOk = !isWordChar(needle[0]) || !isWordChar(before);
    const endOk = !isWordChar(needle[needle.length - 1]) || !isWordChar(after);
    if (startOk && endOk) return true;
  }
  return false;
}
