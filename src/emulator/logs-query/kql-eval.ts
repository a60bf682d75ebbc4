import type { ColumnType, Row } from '../audit-log/schema';
import { SYMBOL_COMPARISONS, WORD_COMPARISONS, type Expr } from './kql-ast';
import { semanticError } from './kql-error';
import { functionDef } from './kql-functions';
import {
  Timespan,
  compareValues,
  equalValues,
  hasTerm,
  isDynamic,
  toText,
  typeOfValue,
  type Value,
} from './kql-values';

export type Columns = ReadonlyMap<string, ColumnType>;

const BOOL_OPS = new Set(['and', 'or', ...SYMBOL_COMPARISONS, ...WORD_COMPARISONS]);

/**
 * Checks an expression against the columns in scope before any row is read (so a typo is an error
 * even over an empty table) and returns its type where it is known statically.
 */
export function typeOf(e: Expr, columns: Columns): ColumnType | undefined {
  switch (e.k) {
    case 'lit':
      return typeOfValue(e.value);
    case 'timespan':
      return 'timespan';
    case 'col': {
      const t = columns.get(e.name);
      if (t === undefined) throw semanticError(`Failed to resolve scalar expression named '${e.name}'`);
      return t;
    }
    case 'member':
      typeOf(e.target, columns);
      return 'dynamic';
    case 'call': {
      const types = e.args.map((a) => typeOf(a, columns));
      return functionDef(e.fn, e.args.length).type(types);
    }
    case 'in':
      typeOf(e.left, columns);
      e.list.forEach((x) => typeOf(x, columns));
      return 'bool';
    case 'neg':
      return typeOf(e.operand, columns);
    case 'bin': {
      const l = typeOf(e.left, columns);
      const r = typeOf(e.right, columns);
      if (BOOL_OPS.has(e.op)) return 'bool';
      if (l === 'datetime' && r === 'datetime' && e.op === '-') return 'timespan';
      return l === 'datetime' || r === 'datetime' ? 'datetime' : (l ?? r);
    }
  }
}

function member(target: Value, key: string | number): Value {
  if (!isDynamic(target)) return null;
  const v = (target as Record<string | number, unknown>)[key];
  if (v === undefined || v === null) return null;
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return v;
  return v as Value;
}

function arithmetic(op: string, a: Value, b: Value): Value {
  if (a === null || b === null) return null;
  if (a instanceof Date && b instanceof Timespan)
    return op === '+' ? new Date(a.getTime() + b.ms) : op === '-' ? new Date(a.getTime() - b.ms) : null;
  if (a instanceof Timespan && b instanceof Date && op === '+') return new Date(b.getTime() + a.ms);
  if (a instanceof Date && b instanceof Date && op === '-') return new Timespan(a.getTime() - b.getTime());
  if (a instanceof Timespan && b instanceof Timespan)
    return op === '+' ? new Timespan(a.ms + b.ms) : op === '-' ? new Timespan(a.ms - b.ms) : null;
  if (a instanceof Timespan && typeof b === 'number')
    return op === '*' ? new Timespan(a.ms * b) : op === '/' ? new Timespan(a.ms / b) : null;
  if (typeof a === 'number' && typeof b === 'number') {
    if (op === '+') return a + b;
    if (op === '-') return a - b;
    if (op === '*') return a * b;
    if (op === '/') return b === 0 ? null : a / b;
    if (op === '%') return b === 0 ? null : a % b;
  }
  return null;
}

function stringOp(op: string, a: Value, b: Value): boolean | null {
  if (a === null) return op.startsWith('!') ? true : false;
  const text = toText(a);
  const term = toText(b);
  const positive = op.replace(/^!/, '');
  let result: boolean;
  if (positive === 'has') result = hasTerm(text, term);
  else if (positive === 'has_cs') result = hasTerm(text, term, true);
  else if (positive === 'contains') result = text.toLowerCase().includes(term.toLowerCase());
  else if (positive === 'contains_cs') result = text.includes(term);
  else if (positive === 'startswith') result = text.toLowerCase().startsWith(term.toLowerCase());
  else result = text.toLowerCase().endsWith(term.toLowerCase());
  return op.startsWith('!') ? !result : result;
}

function binary(op: string, a: Value, b: Value): Value {
  switch (op) {
    case '==':
      return equalValues(a, b);
    case '!=': {
      const eq = equalValues(a, b);
      return eq === null ? null : !eq;
    }
    case '=~':
    case '!~': {
      if (a === null || b === null) return null;
      const eq = toText(a).toLowerCase() === toText(b).toLowerCase();
      return op === '=~' ? eq : !eq;
    }
    case '<':
    case '<=':
    case '>':
    case '>=': {
      const c = compareValues(a, b);
      if (c === undefined) return null;
      return op === '<' ? c < 0 : op === '<=' ? c <= 0 : op === '>' ? c > 0 : c >= 0;
    }
    case '+':
    case '-':
    case '*':
    case '/':
    case '%':
      return arithmetic(op, a, b);
    default:
      return stringOp(op, a, b);
  }
}

function inList(e: Extract<Expr, { k: 'in' }>, row: Row, now: Date): Value {
  const left = evaluate(e.left, row, now);
  if (left === null) return e.negate ? true : false;
  const key = e.ci ? toText(left).toLowerCase() : left;
  const found = e.list.some((x) => {
    const v = evaluate(x, row, now);
    if (e.ci) return toText(v).toLowerCase() === key;
    return equalValues(left, v) === true;
  });
  return e.negate ? !found : found;
}

/** Evaluates an expression over one row; `now` is fixed for the whole query, as in Kusto. */
export function evaluate(e: Expr, row: Row, now: Date): Value {
  switch (e.k) {
    case 'lit':
      return e.value;
    case 'timespan':
      return new Timespan(e.ms);
    case 'col':
      return row[e.name] ?? null;
    case 'member':
      return member(evaluate(e.target, row, now), e.key);
    case 'neg': {
      const v = evaluate(e.operand, row, now);
      return typeof v === 'number' ? -v : v instanceof Timespan ? new Timespan(-v.ms) : null;
    }
    case 'in':
      return inList(e, row, now);
    case 'call':
      return functionDef(e.fn, e.args.length).call(
        e.args.map((a) => evaluate(a, row, now)),
        now,
        row,
      );
    case 'bin': {
      if (e.op === 'and') return evaluate(e.left, row, now) === true && evaluate(e.right, row, now) === true;
      if (e.op === 'or') return evaluate(e.left, row, now) === true || evaluate(e.right, row, now) === true;
      return binary(e.op, evaluate(e.left, row, now), evaluate(e.right, row, now));
    }
  }
}
