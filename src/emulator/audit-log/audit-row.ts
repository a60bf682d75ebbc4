import { STATUS_CODES } from 'node:http';
import { identityColumn, type CallerClaims } from '../identity/claims';
import { EMULATOR_SUBSCRIPTION, type VaultResource } from '../identity/vault-resource';
import { parseTarget, route, type Route } from '../routes';
import { AUDIT_TABLE, type Row } from './schema';

/** Key Vault's audit operation names for the secrets API. */
const OPERATION_NAMES: Record<Route['op'], string> = {
  setSecret: 'SecretSet',
  getSecret: 'SecretGet',
  updateSecret: 'SecretUpdate',
  getSecrets: 'SecretList',
  getSecretVersions: 'SecretListVersions',
  deleteSecret: 'SecretDelete',
  getDeletedSecrets: 'SecretListDeleted',
  getDeletedSecret: 'SecretGetDeleted',
  recoverDeletedSecret: 'SecretRecover',
  purgeDeletedSecret: 'SecretPurge',
  backupSecret: 'SecretBackup',
  restoreSecret: 'SecretRestore',
};

export interface RequestFacts {
  method: string;
  /** The request's path and query as received. */
  url: string;
  baseUrl: string;
  status: number;
  startedAt: Date;
  durationMs: number;
  remoteAddress: string | undefined;
  clientRequestId: string | undefined;
  userAgent: string | undefined;
  apiVersion: string | undefined;
  claims: CallerClaims;
  /** true/false when --rbac decided; undefined without --rbac (access is not checked at all). */
  rbacAuthorized: boolean | undefined;
  vault: VaultResource;
}

/** What the request addressed: its operation and the object's URI (versioned when a version was named). */
function describe(method: string, url: string, baseUrl: string): { operation: string; id: string } {
  try {
    const r = route(method, parseTarget(url).segments);
    const collection = r.op.includes('Deleted') ? 'deletedsecrets' : 'secrets';
    const name = 'name' in r ? `/${r.name}` : '';
    const version = 'version' in r && r.version !== undefined ? `/${r.version}` : '';
    return { operation: OPERATION_NAMES[r.op], id: `${baseUrl}/${collection}${name}${version}` };
  } catch {
    // Unroutable requests are still logged, as the service logs every authenticated call.
    return { operation: 'Unknown', id: `${baseUrl}${url.split('?')[0] ?? ''}` };
  }
}

function signature(status: number): string {
  return (STATUS_CODES[status] ?? String(status)).replace(/\s+/g, '');
}

/** One AZKVAuditLogs row for one request. */
export function auditRow(f: RequestFacts): Row {
  const { operation, id } = describe(f.method, f.url, f.baseUrl);
  return {
    TenantId: f.claims.tid ?? '',
    TimeGenerated: f.startedAt,
    OperationName: operation,
    OperationVersion: f.apiVersion ?? '',
    Category: 'AuditEvent',
    ResultType: f.status < 400 ? 'Success' : 'Failure',
    ResultSignature: signature(f.status),
    ResultDescription: '',
    HttpStatusCode: f.status,
    DurationMs: Math.round(f.durationMs),
    CallerIpAddress: (f.remoteAddress ?? '').replace(/^::ffff:/, ''),
    CorrelationId: f.clientRequestId ?? '',
    Identity: identityColumn(f.claims),
    Id: id,
    RequestUri: `${f.baseUrl}${f.url}`,
    ClientInfo: f.userAgent ?? '',
    IsRbacAuthorized: f.rbacAuthorized ?? null,
    IsAccessPolicyMatch: false,
    AppliedAssignmentId: '',
    SourceSystem: 'Azure',
    _ResourceId: f.vault.resourceId,
    _SubscriptionId: EMULATOR_SUBSCRIPTION,
    Type: AUDIT_TABLE,
  };
}
