/**
 * Microsoft's Kusto parser (@kusto/language-service-next), loaded under jest. The package is a
 * Bridge.NET build: `bridge.js` installs the global `Bridge` runtime and `Kusto.Language.Bridge.js` the
 * global `Kusto` namespace on it, so both are required for their side effects, in that order.
 */
/* eslint-disable @typescript-eslint/no-require-imports */
require('@kusto/language-service-next/bridge.js');
require('@kusto/language-service-next/Kusto.Language.Bridge.js');
import { SCHEMAS, type KqlSchema } from './kql-schemas';

interface KustoList<T> {
  Count: number;
  getItem(i: number): T;
}
interface KustoLanguage {
  Symbols: {
    TableSymbol: { From(schema: string): { WithName(name: string): unknown } };
    DatabaseSymbol: { $ctor1: new (name: string, tables: unknown[]) => unknown };
  };
  GlobalState: { Default: { WithDatabase(db: unknown): unknown } };
  KustoCode: {
    ParseAndAnalyze(
      text: string,
      globals: unknown,
    ): { GetDiagnostics(): KustoList<{ Severity: string; Message: string; Start: number; Length: number }> };
  };
}

const language = (globalThis as unknown as { Kusto: { Language: KustoLanguage } }).Kusto.Language;
const globalsBySchema = new Map<KqlSchema, unknown>();

function globalsFor(schema: KqlSchema): unknown {
  let globals = globalsBySchema.get(schema);
  if (globals === undefined) {
    const tables = Object.entries(SCHEMAS[schema]).map(([name, columns]) =>
      language.Symbols.TableSymbol.From(`(${columns.map(([c, t]) => `['${c}']:${t}`).join(', ')})`).WithName(
        name,
      ),
    );
    globals = language.GlobalState.Default.WithDatabase(
      new language.Symbols.DatabaseSymbol.$ctor1(schema, tables),
    );
    globalsBySchema.set(schema, globals);
  }
  return globals;
}

/** Kusto's errors (syntax and semantics: unknown tables or columns, wrong types) for a query; [] when valid. */
export function kqlErrors(query: string, schema: KqlSchema): string[] {
  const diagnostics = language.KustoCode.ParseAndAnalyze(query, globalsFor(schema)).GetDiagnostics();
  const errors: string[] = [];
  for (let i = 0; i < diagnostics.Count; i += 1) {
    const d = diagnostics.getItem(i);
    if (d.Severity === 'Error') errors.push(`${d.Message} at '${query.slice(d.Start, d.Start + d.Length)}'`);
  }
  return errors;
}
