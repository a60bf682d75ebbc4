import type { ColumnType, Row } from '../audit-log/schema';
import type { Aggregate, NamedExpr, Query, Stage } from './kql-ast';
import { evaluate, typeOf, type Columns } from './kql-eval';
import { compareValues, toText, typeOfValue, type Value } from './kql-values';

export interface Table {
  columns: Array<{ name: string; type: ColumnType }>;
  rows: Row[];
}

type Frame = { columns: Map<string, ColumnType | undefined>; rows: Array<Record<string, Value>> };

function scope(frame: Frame): Columns {
  return new Map([...frame.columns].map(([n, t]) => [n, t ?? 'string']));
}

/** Computed columns: their type from the expression, or from the first non-null value. */
function project(frame: Frame, cols: NamedExpr[], keep: boolean, now: Date): Frame {
  const s = scope(frame);
  const types = cols.map((c) => typeOf(c.expr, s));
  const columns = keep ? new Map(frame.columns) : new Map<string, ColumnType | undefined>();
  cols.forEach((c, i) => {
    columns.delete(c.name);
    columns.set(c.name, types[i]);
  });
  const rows = frame.rows.map((row) => {
    const out: Record<string, Value> = keep ? { ...row } : {};
    for (const c of cols) out[c.name] = evaluate(c.expr, row as Row, now);
    return out;
  });
  return { columns, rows };
}

function sortRows(
  rows: Frame['rows'],
  keys: Array<{ expr: NamedExpr['expr']; desc: boolean }>,
  now: Date,
): Frame['rows'] {
  const keyed = rows.map((row) => ({ row, keys: keys.map((k) => evaluate(k.expr, row as Row, now)) }));
  keyed.sort((a, b) => {
    for (let i = 0; i < keys.length; i += 1) {
      const x = a.keys[i] ?? null;
      const y = b.keys[i] ?? null;
      const desc = keys[i]?.desc ?? true;
      // Nulls last when descending, first when ascending, as Kusto orders them.
      if (x === null || y === null) {
        if (x === y) continue;
        return (x === null ? -1 : 1) * (desc ? -1 : 1);
      }
      const c = compareValues(x, y) ?? toText(x).localeCompare(toText(y));
      if (c !== 0) return desc ? -c : c;
    }
    return 0;
  });
  return keyed.map((k) => k.row);
}

function aggregate(agg: Aggregate, rows: Frame['rows'], now: Date): Value {
  const values =
    agg.arg === undefined ? [] : rows.map((r) => evaluate(agg.arg as NamedExpr['expr'], r as Row, now));
  switch (agg.fn) {
    case 'count':
      return rows.length;
    case 'countif':
      return values.filter((v) => v === true).length;
    case 'dcount':
      return new Set(values.filter((v) => v !== null).map(toText)).size;
    case 'sum':
    case 'avg': {
      const nums = values.filter((v): v is number => typeof v === 'number');
      const sum = nums.reduce((a, b) => a + b, 0);
      return agg.fn === 'sum' ? sum : nums.length === 0 ? null : sum / nums.length;
    }
    case 'min':
    case 'max': {
      const present = values.filter((v) => v !== null);
      if (present.length === 0) return null;
      return present.reduce((best, v) => {
        const c = compareValues(v, best) ?? 0;
        return (agg.fn === 'min' ? c < 0 : c > 0) ? v : best;
      });
    }
  }
}

function summarize(frame: Frame, stage: Extract<Stage, { op: 'summarize' }>, now: Date): Frame {
  const s = scope(frame);
  const byTypes = stage.by.map((b) => typeOf(b.expr, s));
  stage.aggs.forEach((a) => a.arg && typeOf(a.arg, s));
  const groups = new Map<string, { keys: Value[]; rows: Frame['rows'] }>();
  for (const row of frame.rows) {
    const keys = stage.by.map((b) => evaluate(b.expr, row as Row, now));
    const id = JSON.stringify(keys.map((k) => [typeOfValue(k), toText(k)]));
    const g = groups.get(id) ?? { keys, rows: [] };
    g.rows.push(row);
    groups.set(id, g);
  }
  // With no `by`, an empty input still gives one row (count() = 0), as in Kusto.
  if (stage.by.length === 0 && groups.size === 0) groups.set('', { keys: [], rows: [] });
  const columns = new Map<string, ColumnType | undefined>();
  stage.by.forEach((b, i) => columns.set(b.name, byTypes[i]));
  for (const a of stage.aggs)
    columns.set(
      a.name,
      a.fn === 'avg' ? 'real' : a.fn.startsWith('count') || a.fn === 'dcount' ? 'long' : undefined,
    );
  const rows = [...groups.values()].map((g) => {
    const out: Record<string, Value> = {};
    stage.by.forEach((b, i) => (out[b.name] = g.keys[i] ?? null));
    for (const a of stage.aggs) out[a.name] = aggregate(a, g.rows, now);
    return out;
  });
  return { columns, rows };
}

function distinct(frame: Frame, cols: NamedExpr[], now: Date): Frame {
  const projected = project(frame, cols, false, now);
  const seen = new Set<string>();
  const rows = projected.rows.filter((r) => {
    const id = JSON.stringify(cols.map((c) => toText(r[c.name] ?? null)));
    if (seen.has(id)) return false;
    seen.add(id);
    return true;
  });
  return { columns: projected.columns, rows };
}

function apply(frame: Frame, stage: Stage, now: Date): Frame {
  switch (stage.op) {
    case 'where':
      typeOf(stage.expr, scope(frame));
      return {
        columns: frame.columns,
        rows: frame.rows.filter((r) => evaluate(stage.expr, r as Row, now) === true),
      };
    case 'project':
      return project(frame, stage.cols, false, now);
    case 'extend':
      return project(frame, stage.cols, true, now);
    case 'project-away': {
      const columns = new Map(frame.columns);
      for (const n of stage.names) {
        if (!columns.delete(n)) typeOf({ k: 'col', name: n }, scope(frame));
      }
      return { columns, rows: frame.rows };
    }
    case 'sort':
      stage.keys.forEach((k) => typeOf(k.expr, scope(frame)));
      return { columns: frame.columns, rows: sortRows(frame.rows, stage.keys, now) };
    case 'take':
      return { columns: frame.columns, rows: frame.rows.slice(0, stage.n) };
    case 'top':
      typeOf(stage.key.expr, scope(frame));
      return { columns: frame.columns, rows: sortRows(frame.rows, [stage.key], now).slice(0, stage.n) };
    case 'summarize':
      return summarize(frame, stage, now);
    case 'distinct':
      return distinct(frame, stage.cols, now);
    case 'count':
      return { columns: new Map([['Count', 'long']]), rows: [{ Count: frame.rows.length }] };
  }
}

export interface ResultTable {
  columns: Array<{ name: string; type: ColumnType }>;
  rows: Value[][];
}

/** Runs a parsed query over one table's rows; `now` is fixed for the whole query. */
export function runQuery(query: Query, table: Table, now: Date): ResultTable {
  let frame: Frame = {
    columns: new Map(table.columns.map((c) => [c.name, c.type])),
    rows: table.rows,
  };
  for (const stage of query.stages) frame = apply(frame, stage, now);
  const columns = [...frame.columns].map(([name, type]) => ({
    name,
    type: type ?? typeOfValue(frame.rows.find((r) => (r[name] ?? null) !== null)?.[name] ?? null) ?? 'string',
  }));
  return { columns, rows: frame.rows.map((r) => columns.map((c) => r[c.name] ?? null)) };
}
