import { syntaxError } from './kql-error';

export type Token =
  | { kind: 'ident'; text: string; pos: number }
  | { kind: 'string'; value: string; pos: number }
  | { kind: 'number'; value: number; pos: number }
  /** A timespan literal such as 5m, 1h, 1.5d, 100ms, in milliseconds. */
  | { kind: 'timespan'; ms: number; pos: number }
  /** The raw text inside datetime(...), which KQL does not quote. */
  | { kind: 'datetime'; text: string; pos: number }
  | { kind: 'op'; text: string; pos: number }
  | { kind: 'eof'; pos: number };

const UNIT_MS: Record<string, number> = {
  d: 86_400_000,
  h: 3_600_000,
  m: 60_000,
  s: 1000,
  ms: 1,
  microsecond: 0.001,
  tick: 0.0001,
};

// Longest first, so "<=" wins over "<" and "!in~" over "!in".
const OPERATORS = [
  '!contains',
  '!startswith',
  '!has',
  '!in~',
  '!in',
  '==',
  '!=',
  '=~',
  '!~',
  '<=',
  '>=',
  '|',
  '(',
  ')',
  '[',
  ']',
  ',',
  '.',
  '<',
  '>',
  '=',
  '+',
  '-',
  '*',
  '/',
  '%',
  ';',
];

function readString(q: string, start: number): { value: string; end: number } {
  const quote = q[start];
  let i = start + 1;
  let value = '';
  while (i < q.length && q[i] !== quote) {
    if (q[i] === '\\' && i + 1 < q.length) {
      const next = q[i + 1] ?? '';
      value += next === 'n' ? '\n' : next === 't' ? '\t' : next === 'r' ? '\r' : next;
      i += 2;
    } else {
      value += q[i];
      i += 1;
    }
  }
  if (i >= q.length)
    throw syntaxError(`Query could not be parsed: unterminated string literal at position ${start}`);
  return { value, end: i + 1 };
}

function readVerbatim(q: string, start: number): { value: string; end: number } {
  const quote = q[start + 1];
  const close = q.indexOf(quote ?? '', start + 2);
  if (close === -1)
    throw syntaxError(`Query could not be parsed: unterminated string literal at position ${start}`);
  return { value: q.slice(start + 2, close), end: close + 1 };
}

/** A number, or a timespan when a unit follows it directly (5m, 1.5h). */
function readNumber(q: string, start: number): { token: Token; end: number } {
  const m = /^(\d+(?:\.\d+)?)(ms|microsecond|tick|d|h|m|s)?(?![A-Za-z0-9_])/.exec(q.slice(start));
  if (!m)
    throw syntaxError(`Query could not be parsed at '${q.slice(start, start + 10)}' (position ${start})`);
  const n = Number(m[1]);
  const unit = m[2];
  const end = start + m[0].length;
  if (unit === undefined) return { token: { kind: 'number', value: n, pos: start }, end };
  return { token: { kind: 'timespan', ms: n * (UNIT_MS[unit] ?? 0), pos: start }, end };
}

export function tokenize(q: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < q.length) {
    const c = q[i] ?? '';
    if (/\s/.test(c)) {
      i += 1;
    } else if (q.startsWith('//', i)) {
      const nl = q.indexOf('\n', i);
      i = nl === -1 ? q.length : nl + 1;
    } else if (c === "'" || c === '"') {
      const s = readString(q, i);
      tokens.push({ kind: 'string', value: s.value, pos: i });
      i = s.end;
    } else if (c === '@' && (q[i + 1] === "'" || q[i + 1] === '"')) {
      const s = readVerbatim(q, i);
      tokens.push({ kind: 'string', value: s.value, pos: i });
      i = s.end;
    } else if (/\d/.test(c)) {
      const n = readNumber(q, i);
      tokens.push(n.token);
      i = n.end;
    } else if (/[A-Za-z_$]/.test(c)) {
      const m = /^[A-Za-z_$][A-Za-z0-9_$]*/.exec(q.slice(i));
      const text = m?.[0] ?? c;
      tokens.push({ kind: 'ident', text, pos: i });
      i += text.length;
      // datetime(2026-12-01T10:00:00Z): the argument is an unquoted literal, taken raw.
      if (text === 'datetime' && /^\s*\(/.test(q.slice(i))) {
        const open = q.indexOf('(', i);
        const close = q.indexOf(')', open);
        if (close === -1)
          throw syntaxError(`Query could not be parsed: datetime( is not closed (position ${i})`);
        tokens.pop();
        tokens.push({ kind: 'datetime', text: q.slice(open + 1, close).trim(), pos: i - text.length });
        i = close + 1;
      }
    } else {
      const op = OPERATORS.find(
        (o) => q.startsWith(o, i) && !(/[a-z]$/.test(o) && /[A-Za-z0-9_]/.test(q[i + o.length] ?? '')),
      );
      if (op === undefined) throw syntaxError(`Query could not be parsed at '${c}' (position ${i})`);
      tokens.push({ kind: 'op', text: op, pos: i });
      i += op.length;
    }
  }
  tokens.push({ kind: 'eof', pos: q.length });
  return tokens;
}
