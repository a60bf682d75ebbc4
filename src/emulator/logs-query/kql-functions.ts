import { INGESTION_TIME, type ColumnType, type Row } from '../audit-log/schema';
import { semanticError } from './kql-error';
import { Timespan, isDynamic, toDate, toText, type Value } from './kql-values';

export interface FunctionDef {
  min: number;
  max: number;
  /** The result type, from the argument types (undefined: unknown until run time). */
  type: (args: Array<ColumnType | undefined>) => ColumnType | undefined;
  call: (args: Value[], now: Date, row: Row) => Value;
}

const empty = (v: Value): boolean => v === null || v === '' || (isDynamic(v) && Object.keys(v).length === 0);

function toNumber(v: Value): number | null {
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && v.trim() !== '' && !Number.isNaN(Number(v))) return Number(v);
  if (typeof v === 'boolean') return Number(v);
  return null;
}

function bin(v: Value, size: Value): Value {
  if (v instanceof Date && size instanceof Timespan && size.ms > 0)
    return new Date(Math.floor(v.getTime() / size.ms) * size.ms);
  if (typeof v === 'number' && typeof size === 'number' && size > 0) return Math.floor(v / size) * size;
  return null;
}

const fixed = (type: ColumnType) => (): ColumnType => type;

/** The scalar functions the emulator evaluates; any other name is a SemanticError. */
export const FUNCTIONS: Record<string, FunctionDef> = {
  not: { min: 1, max: 1, type: fixed('bool'), call: ([a]) => (a === null ? null : a !== true) },
  isempty: { min: 1, max: 1, type: fixed('bool'), call: ([a]) => empty(a ?? null) },
  isnotempty: { min: 1, max: 1, type: fixed('bool'), call: ([a]) => !empty(a ?? null) },
  isnull: { min: 1, max: 1, type: fixed('bool'), call: ([a]) => a === null },
  isnotnull: { min: 1, max: 1, type: fixed('bool'), call: ([a]) => a !== null },
  tostring: { min: 1, max: 1, type: fixed('string'), call: ([a]) => toText(a ?? null) },
  tolower: { min: 1, max: 1, type: fixed('string'), call: ([a]) => toText(a ?? null).toLowerCase() },
  toupper: { min: 1, max: 1, type: fixed('string'), call: ([a]) => toText(a ?? null).toUpperCase() },
  strlen: { min: 1, max: 1, type: fixed('long'), call: ([a]) => toText(a ?? null).length },
  strcat: { min: 1, max: 64, type: fixed('string'), call: (args) => args.map(toText).join('') },
  todatetime: { min: 1, max: 1, type: fixed('datetime'), call: ([a]) => toDate(a ?? null) },
  toint: { min: 1, max: 1, type: fixed('int'), call: ([a]) => toNumber(a ?? null) },
  tolong: { min: 1, max: 1, type: fixed('long'), call: ([a]) => toNumber(a ?? null) },
  now: {
    min: 0,
    max: 1,
    type: fixed('datetime'),
    call: ([offset], now) => new Date(now.getTime() + (offset instanceof Timespan ? offset.ms : 0)),
  },
  ago: {
    min: 1,
    max: 1,
    type: fixed('datetime'),
    call: ([span], now) => (span instanceof Timespan ? new Date(now.getTime() - span.ms) : null),
  },
  // Null once a project has dropped the row's identity, as in Kusto.
  ingestion_time: {
    min: 0,
    max: 0,
    type: fixed('datetime'),
    call: (_args, _now, row) => row[INGESTION_TIME] ?? null,
  },
  bin: { min: 2, max: 2, type: ([t]) => t, call: ([v, size]) => bin(v ?? null, size ?? null) },
  iff: {
    min: 3,
    max: 3,
    type: ([, a, b]) => a ?? b,
    call: ([c, a, b]) => (c === true ? (a ?? null) : (b ?? null)),
  },
  coalesce: {
    min: 1,
    max: 64,
    type: (types) => types.find((t) => t !== undefined),
    call: (args) => args.find((a) => !empty(a)) ?? null,
  },
};
FUNCTIONS['iif'] = FUNCTIONS['iff'] as FunctionDef;

export function functionDef(name: string, argCount: number): FunctionDef {
  const def = FUNCTIONS[name];
  if (def === undefined)
    throw semanticError(`Failed to resolve scalar function named '${name}' (not supported by the emulator)`);
  if (argCount < def.min || argCount > def.max)
    throw semanticError(
      `Function '${name}' expects ${def.min === def.max ? def.min : `${def.min} to ${def.max}`} argument(s), got ${argCount}`,
    );
  return def;
}
