/**
 * Microsoft's Kusto parser (@kusto/language-service-next), loaded for jest. The package is a Bridge.NET
 * build: `bridge.js` defines the global `Bridge` runtime and `Kusto.Language.Bridge.js` defines the global
 * `Kusto` namespace on it, so both are required for their side effects, in that order.
 */
/* eslint-disable @typescript-eslint/no-require-imports */
require('@kusto/language-service-next/bridge.js');
require('@kusto/language-service-next/Kusto.Language.Bridge.js');

interface Diagnostic {
  Severity: string;
  Message: string;
  Start: number;
  Length: number;
}
interface KustoGlobal {
  Kusto: {
    Language: {
      Symbols: {
        TableSymbol: { $ctor7: new (name: string, schema: string, description: string | null) => unknown };
        DatabaseSymbol: { ctor: new (name: string, members: unknown[]) => unknown };
      };
      GlobalState: { Default: { WithDatabase(db: unknown): unknown } };
      KustoCode: {
        ParseAndAnalyze(
          text: string,
          globals: unknown,
        ): {
          GetDiagnostics(): { Count: number; getItem(i: number): Diagnostic };
        };
      };
    };
  };
}

/**
 * AZKVAuditLogs as Microsoft's table reference lists it (azure-monitor-ref/tables/azkvauditlogs.md,
 * MicrosoftDocs/azure-reference-other): every column with its type.
 */
export const AZKV_AUDIT_LOGS_SCHEMA: ReadonlyArray<[string, string]> = [
  ['AddressAuthorizationType', 'string'],
  ['Algorithm', 'string'],
  ['AppliedAssignmentId', 'string'],
  ['_BilledSize', 'real'],
  ['CallerIpAddress', 'string'],
  ['CertificateIssuerProperties', 'dynamic'],
  ['CertificatePolicyProperties', 'dynamic'],
  ['CertificateProperties', 'dynamic'],
  ['CertificateRequestProperties', 'dynamic'],
  ['ClientInfo', 'string'],
  ['CorrelationId', 'string'],
  ['DurationMs', 'int'],
  ['EnabledForDeployment', 'bool'],
  ['EnabledForDiskEncryption', 'bool'],
  ['EnabledForTemplateDeployment', 'bool'],
  ['EnablePurgeProtection', 'bool'],
  ['EnableRbacAuthorization', 'bool'],
  ['EnableSoftDelete', 'bool'],
  ['HsmPoolResourceId', 'string'],
  ['HttpStatusCode', 'int'],
  ['Id', 'string'],
  ['Identity', 'dynamic'],
  ['IsAccessPolicyMatch', 'bool'],
  ['IsAddressAuthorized', 'bool'],
  ['_IsBillable', 'string'],
  ['IsRbacAuthorized', 'bool'],
  ['KeyProperties', 'dynamic'],
  ['NetworkAcls', 'dynamic'],
  ['Nsp', 'dynamic'],
  ['OperationName', 'string'],
  ['OperationVersion', 'string'],
  ['Properties', 'dynamic'],
  ['RequestUri', 'string'],
  ['_ResourceId', 'string'],
  ['ResultDescription', 'string'],
  ['ResultSignature', 'string'],
  ['ResultType', 'string'],
  ['SecretProperties', 'dynamic'],
  ['Sku', 'dynamic'],
  ['SoftDeleteRetentionInDays', 'int'],
  ['SourceSystem', 'string'],
  ['StorageAccountProperties', 'dynamic'],
  ['StorageSasDefinitionProperties', 'dynamic'],
  ['SubnetId', 'string'],
  ['_SubscriptionId', 'string'],
  ['TenantId', 'string'],
  ['TimeGenerated', 'datetime'],
  ['Tlsversion', 'string'],
  ['TrustedService', 'string'],
  ['Type', 'string'],
  ['VaultProperties', 'dynamic'],
];

const { Kusto } = globalThis as unknown as KustoGlobal;

function workspace(): unknown {
  const { Symbols, GlobalState } = Kusto.Language;
  const schema = `(${AZKV_AUDIT_LOGS_SCHEMA.map(([name, type]) => `['${name}']:${type}`).join(', ')})`;
  const table = new Symbols.TableSymbol.$ctor7('AZKVAuditLogs', schema, null);
  return GlobalState.Default.WithDatabase(new Symbols.DatabaseSymbol.ctor('workspace', [table]));
}

let globals: unknown;

/** Every diagnostic (syntax and semantics: unknown columns, wrong types) of a query over AZKVAuditLogs. */
export function kustoDiagnostics(query: string): Array<{ severity: string; message: string; at: string }> {
  globals ??= workspace();
  const diagnostics = Kusto.Language.KustoCode.ParseAndAnalyze(query, globals).GetDiagnostics();
  const found: Array<{ severity: string; message: string; at: string }> = [];
  for (let i = 0; i < diagnostics.Count; i += 1) {
    const d = diagnostics.getItem(i);
    found.push({ severity: d.Severity, message: d.Message, at: query.slice(d.Start, d.Start + d.Length) });
  }
  return found;
}
