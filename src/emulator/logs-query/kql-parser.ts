import {
  AGGREGATE_FNS,
  type Aggregate,
  type AggregateFn,
  type Expr,
  type NamedExpr,
  type Query,
  type Stage,
  SYMBOL_COMPARISONS,
  WORD_COMPARISONS,
} from './kql-ast';
import { syntaxError } from './kql-error';
import { tokenize, type Token } from './kql-lexer';
import { parseUtc } from './kql-values';

const COMPARISONS = new Set(SYMBOL_COMPARISONS);
const WORDS = new Set(WORD_COMPARISONS);

/** A recursive-descent parser for the subset of KQL the emulator evaluates; anything else is a SyntaxError. */
class Parser {
  private i = 0;
  /** Unnamed computed columns are Column1, Column2, … as in Kusto. */
  private unnamed = 0;
  constructor(private readonly tokens: Token[]) {}

  private peek(offset = 0): Token {
    return this.tokens[Math.min(this.i + offset, this.tokens.length - 1)] as Token;
  }

  private next(): Token {
    const t = this.peek();
    if (t.kind !== 'eof') this.i += 1;
    return t;
  }

  private fail(what: string): never {
    const t = this.peek();
    const at = t.kind === 'eof' ? 'the end of the query' : `position ${t.pos}`;
    throw syntaxError(`Query could not be parsed: expected ${what} at ${at}`);
  }

  private isOp(text: string, offset = 0): boolean {
    const t = this.peek(offset);
    return t.kind === 'op' && t.text === text;
  }

  private isWord(text: string, offset = 0): boolean {
    const t = this.peek(offset);
    return t.kind === 'ident' && t.text === text;
  }

  private expectOp(text: string): void {
    if (!this.isOp(text)) this.fail(`'${text}'`);
    this.next();
  }

  private expectWord(text: string): void {
    if (!this.isWord(text)) this.fail(`'${text}'`);
    this.next();
  }

  private ident(): string {
    const t = this.next();
    if (t.kind !== 'ident') {
      this.i -= 1;
      this.fail('a name');
    }
    return t.text;
  }

  private integer(): number {
    const t = this.next();
    if (t.kind !== 'number' || !Number.isInteger(t.value)) {
      this.i -= 1;
      this.fail('a whole number');
    }
    return t.value;
  }

  query(): Query {
    const table = this.ident();
    const stages: Stage[] = [];
    while (this.isOp('|')) {
      this.next();
      stages.push(this.stage());
    }
    if (this.isOp(';')) this.next();
    if (this.peek().kind !== 'eof') this.fail("'|' or the end of the query");
    return { table, stages };
  }

  private stage(): Stage {
    const word = this.ident();
    switch (word) {
      case 'where':
      case 'filter':
        return { op: 'where', expr: this.expr() };
      case 'project':
        if (this.isOp('-') && this.isWord('away', 1)) {
          this.next();
          this.next();
          return { op: 'project-away', names: this.list(() => this.ident()) };
        }
        return { op: 'project', cols: this.list(() => this.namedExpr()) };
      case 'extend':
        return { op: 'extend', cols: this.list(() => this.namedExpr(true)) };
      case 'order':
      case 'sort':
        this.expectWord('by');
        return { op: 'sort', keys: this.list(() => this.sortKey()) };
      case 'take':
      case 'limit':
        return { op: 'take', n: this.integer() };
      case 'top': {
        const n = this.integer();
        this.expectWord('by');
        return { op: 'top', n, key: this.sortKey() };
      }
      case 'summarize':
        return this.summarize();
      case 'distinct':
        return { op: 'distinct', cols: this.list(() => this.namedExpr()) };
      case 'count':
        return { op: 'count' };
      default:
        throw syntaxError(
          `Query could not be parsed: the operator '${word}' is not supported by the emulator`,
        );
    }
  }

  private list<T>(item: () => T): T[] {
    const items = [item()];
    while (this.isOp(',')) {
      this.next();
      items.push(item());
    }
    return items;
  }

  private sortKey(): { expr: Expr; desc: boolean } {
    const expr = this.expr();
    let desc = true; // KQL sorts descending unless told otherwise.
    if (this.isWord('asc') || this.isWord('desc')) desc = this.ident() === 'desc';
    if (this.isWord('nulls')) {
      this.next();
      if (!this.isWord('first') && !this.isWord('last')) this.fail("'first' or 'last'");
      this.next();
    }
    return { expr, desc };
  }

  /** `Name = expr`, or a bare expression named after its column (or Column1…). */
  private namedExpr(requireName = false): NamedExpr {
    if (this.peek().kind === 'ident' && this.isOp('=', 1)) {
      const name = this.ident();
      this.next();
      return { name, expr: this.expr() };
    }
    if (requireName) this.fail("'Name = expression'");
    const expr = this.expr();
    return { name: this.defaultName(expr), expr };
  }

  private defaultName(expr: Expr): string {
    if (expr.k === 'col') return expr.name;
    if (expr.k === 'member' && typeof expr.key === 'string')
      return `${this.defaultName(expr.target)}_${expr.key}`;
    this.unnamed += 1;
    return `Column${this.unnamed}`;
  }

  private summarize(): Stage {
    const aggs: Aggregate[] = [];
    if (!this.isWord('by')) aggs.push(...this.list(() => this.aggregate()));
    let by: NamedExpr[] = [];
    if (this.isWord('by')) {
      this.next();
      by = this.list(() => this.namedExpr());
    }
    return { op: 'summarize', aggs, by };
  }

  private aggregate(): Aggregate {
    let name: string | undefined;
    if (this.peek().kind === 'ident' && this.isOp('=', 1)) {
      name = this.ident();
      this.next();
    }
    const fn = this.ident();
    if (!(AGGREGATE_FNS as readonly string[]).includes(fn)) {
      throw syntaxError(
        `Query could not be parsed: the aggregation '${fn}' is not supported by the emulator`,
      );
    }
    this.expectOp('(');
    const arg = this.isOp(')') ? undefined : this.expr();
    this.expectOp(')');
    // Kusto's default names: count_, max_TimeGenerated, dcount_CallerIpAddress.
    return { name: name ?? `${fn}_${arg?.k === 'col' ? arg.name : ''}`, fn: fn as AggregateFn, arg };
  }

  /**
   * One left-associative level: `operand (operator operand)*`, the operator one of `ops`. Word operators
   * (`and`, `or`) arrive as identifier tokens, symbols as operator tokens.
   */
  private leftAssociative(ops: readonly string[], kind: 'op' | 'ident', operand: () => Expr): Expr {
    let left = operand();
    for (;;) {
      const t = this.peek();
      if ((t.kind !== 'op' && t.kind !== 'ident') || t.kind !== kind || !ops.includes(t.text)) return left;
      this.next();
      left = { k: 'bin', op: t.text, left, right: operand() };
    }
  }

  expr(): Expr {
    return this.leftAssociative(['or'], 'ident', () => this.and());
  }

  private and(): Expr {
    return this.leftAssociative(['and'], 'ident', () => this.comparison());
  }

  private comparison(): Expr {
    const left = this.additive();
    const t = this.peek();
    if (t.kind === 'op' && COMPARISONS.has(t.text)) {
      this.next();
      return { k: 'bin', op: t.text, left, right: this.additive() };
    }
    if (t.kind === 'ident' && WORDS.has(t.text)) {
      this.next();
      return { k: 'bin', op: t.text, left, right: this.additive() };
    }
    const negated = t.kind === 'op' && (t.text === '!in' || t.text === '!in~');
    if (negated || this.isWord('in')) {
      this.next();
      let ci = negated && t.text === '!in~';
      if (!negated && this.isOp('~')) {
        this.next();
        ci = true;
      }
      this.expectOp('(');
      const list = this.list(() => this.expr());
      this.expectOp(')');
      return { k: 'in', negate: negated, ci, left, list };
    }
    return left;
  }

  private additive(): Expr {
    return this.leftAssociative(['+', '-'], 'op', () => this.multiplicative());
  }

  private multiplicative(): Expr {
    return this.leftAssociative(['*', '/', '%'], 'op', () => this.unary());
  }

  private unary(): Expr {
    if (this.isOp('-')) {
      this.next();
      return { k: 'neg', operand: this.unary() };
    }
    return this.postfix();
  }

  private postfix(): Expr {
    let e = this.primary();
    for (;;) {
      if (this.isOp('.')) {
        this.next();
        e = { k: 'member', target: e, key: this.ident() };
      } else if (this.isOp('[')) {
        this.next();
        const t = this.next();
        if (t.kind === 'string') e = { k: 'member', target: e, key: t.value };
        else if (t.kind === 'number' && Number.isInteger(t.value))
          e = { k: 'member', target: e, key: t.value };
        else this.fail('a string or an index');
        this.expectOp(']');
      } else return e;
    }
  }

  private primary(): Expr {
    const t = this.next();
    switch (t.kind) {
      case 'string':
        return { k: 'lit', value: t.value };
      case 'number':
        return { k: 'lit', value: t.value };
      case 'timespan':
        return { k: 'timespan', ms: t.ms };
      case 'datetime': {
        const d = parseUtc(t.text);
        if (d === null)
          throw syntaxError(`Query could not be parsed: datetime(${t.text}) is not a valid datetime literal`);
        return { k: 'lit', value: d };
      }
      case 'op':
        if (t.text === '(') {
          const e = this.expr();
          this.expectOp(')');
          return e;
        }
        break;
      case 'ident':
        if (t.text === 'true' || t.text === 'false') return { k: 'lit', value: t.text === 'true' };
        if (this.isOp('(')) {
          this.next();
          const args = this.isOp(')') ? [] : this.list(() => this.expr());
          this.expectOp(')');
          return { k: 'call', fn: t.text, args };
        }
        return { k: 'col', name: t.text };
      default:
        break;
    }
    this.i -= 1;
    return this.fail('an expression');
  }
}

export function parseQuery(text: string): Query {
  return new Parser(tokenize(text)).query();
}
