import type { Cell } from '../audit-log/schema';

export type Expr =
  | { k: 'lit'; value: Cell }
  | { k: 'timespan'; ms: number }
  | { k: 'col'; name: string }
  | { k: 'member'; target: Expr; key: string | number }
  | { k: 'call'; fn: string; args: Expr[] }
  | { k: 'bin'; op: string; left: Expr; right: Expr }
  | { k: 'in'; negate: boolean; ci: boolean; left: Expr; list: Expr[] }
  | { k: 'neg'; operand: Expr };

export interface NamedExpr {
  name: string;
  expr: Expr;
}

export const AGGREGATE_FNS = ['count', 'dcount', 'min', 'max', 'sum', 'avg', 'countif'] as const;
export type AggregateFn = (typeof AGGREGATE_FNS)[number];

export interface Aggregate {
  name: string;
  fn: AggregateFn;
  arg: Expr | undefined;
}

export type Stage =
  | { op: 'where'; expr: Expr }
  | { op: 'project'; cols: NamedExpr[] }
  | { op: 'project-away'; names: string[] }
  | { op: 'extend'; cols: NamedExpr[] }
  | { op: 'sort'; keys: Array<{ expr: Expr; desc: boolean }> }
  | { op: 'take'; n: number }
  | { op: 'top'; n: number; key: { expr: Expr; desc: boolean } }
  | { op: 'summarize'; aggs: Aggregate[]; by: NamedExpr[] }
  | { op: 'distinct'; cols: NamedExpr[] }
  | { op: 'count' };

export interface Query {
  table: string;
  stages: Stage[];
}

/** Comparison operators written with symbols (the lexer's tokens) and as words. */
export const SYMBOL_COMPARISONS = [
  '==',
  '!=',
  '=~',
  '!~',
  '<',
  '<=',
  '>',
  '>=',
  '!has',
  '!contains',
  '!startswith',
];
export const WORD_COMPARISONS = ['has', 'contains', 'startswith', 'endswith', 'has_cs', 'contains_cs'];
