// Microsoft's Kusto parser (Kusto.Language via Bridge.NET): these scripts install a global `Kusto`.
import '@kusto/language-service-next/bridge.min.js';
import '@kusto/language-service-next/Kusto.Language.Bridge.min.js';
import { AUDIT_COLUMNS, AUDIT_TABLE } from '../../src/emulator/audit-log/schema';

interface KustoDiagnostic {
  Severity: string;
  Message: string;
}
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
    ParseAndAnalyze(text: string, globals: unknown): { GetDiagnostics(): KustoList<KustoDiagnostic> };
  };
}

let globals: unknown;
let language: KustoLanguage | undefined;

function kusto(): { K: KustoLanguage; globals: unknown } {
  if (language === undefined) {
    language = (globalThis as unknown as { Kusto: { Language: KustoLanguage } }).Kusto.Language;
    const schema = `(${AUDIT_COLUMNS.map((c) => `${c.name}:${c.type}`).join(', ')})`;
    const table = language.Symbols.TableSymbol.From(schema).WithName(AUDIT_TABLE);
    globals = language.GlobalState.Default.WithDatabase(
      new language.Symbols.DatabaseSymbol.$ctor1('workspace', [table]),
    );
  }
  return { K: language, globals };
}

/** Kusto's own errors for a query against the AZKVAuditLogs columns the emulator serves; [] when valid. */
export function kustoErrors(query: string): string[] {
  const { K, globals: g } = kusto();
  const diagnostics = K.KustoCode.ParseAndAnalyze(query, g).GetDiagnostics();
  const errors: string[] = [];
  for (let i = 0; i < diagnostics.Count; i += 1) {
    const d = diagnostics.getItem(i);
    if (d.Severity === 'Error') errors.push(d.Message);
  }
  return errors;
}

const databases = new Map<string, unknown>();

/**
 * Kusto's errors for a query against tables of your own (name, and columns with their Kusto types),
 * each error with the text it points at; the tables are built once per `database` name.
 */
export function kustoErrorsIn(
  query: string,
  database: string,
  tables: Readonly<Record<string, ReadonlyArray<readonly [string, string]>>>,
): string[] {
  const { K } = kusto();
  let db = databases.get(database);
  if (db === undefined) {
    const symbols = Object.entries(tables).map(([name, columns]) =>
      K.Symbols.TableSymbol.From(`(${columns.map(([c, t]) => `['${c}']:${t}`).join(', ')})`).WithName(name),
    );
    db = K.GlobalState.Default.WithDatabase(new K.Symbols.DatabaseSymbol.$ctor1(database, symbols));
    databases.set(database, db);
  }
  const diagnostics = K.KustoCode.ParseAndAnalyze(query, db).GetDiagnostics() as KustoList<
    KustoDiagnostic & { Start: number; Length: number }
  >;
  const errors: string[] = [];
  for (let i = 0; i < diagnostics.Count; i += 1) {
    const d = diagnostics.getItem(i);
    if (d.Severity === 'Error') errors.push(`${d.Message} at '${query.slice(d.Start, d.Start + d.Length)}'`);
  }
  return errors;
}
