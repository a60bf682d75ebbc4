import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import { KvError } from '../errors';
import { parseJsonBody, readBody, sendJson } from '../http-io';
import type { VaultResource } from '../identity/vault-resource';
import { EMULATOR_SUBSCRIPTION } from '../identity/vault-resource';
import type { RequestLog } from './request-log';
import { AUDIT_COLUMNS, AUDIT_TABLE, type ColumnType, type Row } from './schema';

const MAX_ROWS_PER_POST = 10_000;

function cellSchema(type: ColumnType): z.ZodType {
  switch (type) {
    case 'datetime':
      return z.iso.datetime({ offset: true });
    case 'int':
    case 'long':
    case 'real':
      return z.number();
    case 'bool':
      return z.boolean().nullable();
    case 'dynamic':
      return z.union([z.record(z.string(), z.unknown()), z.array(z.unknown())]).nullable();
    default:
      return z.string().max(4096);
  }
}

/** An injected row: any AZKVAuditLogs column by its name; TimeGenerated is required. */
const rowSchema = z
  .object(Object.fromEntries(AUDIT_COLUMNS.map((c) => [c.name, cellSchema(c.type).optional()])))
  .strict()
  .refine((r) => r['TimeGenerated'] !== undefined, { message: 'TimeGenerated is required' });

const postSchema = z.union([
  z.array(rowSchema).max(MAX_ROWS_PER_POST),
  z
    .object({
      rows: z.array(rowSchema).max(MAX_ROWS_PER_POST),
      ingestionDelayMs: z.number().int().min(0).optional(),
    })
    .strict(),
]);

const settingsSchema = z.object({ ingestionDelayMs: z.number().int().min(0).max(86_400_000) }).strict();

function defaults(vault: VaultResource): Row {
  return {
    TenantId: '',
    OperationName: 'SecretGet',
    OperationVersion: '7.5',
    Category: 'AuditEvent',
    ResultType: 'Success',
    ResultSignature: 'OK',
    ResultDescription: '',
    HttpStatusCode: 200,
    DurationMs: 0,
    CallerIpAddress: '',
    CorrelationId: '',
    Identity: { claim: {} },
    Id: '',
    RequestUri: '',
    ClientInfo: '',
    IsRbacAuthorized: null,
    IsAccessPolicyMatch: false,
    AppliedAssignmentId: '',
    SourceSystem: 'Azure',
    _ResourceId: vault.resourceId,
    _SubscriptionId: EMULATOR_SUBSCRIPTION,
    Type: AUDIT_TABLE,
  };
}

function toRow(input: Record<string, unknown>, vault: VaultResource): Row {
  const row: Row = { ...defaults(vault) };
  for (const c of AUDIT_COLUMNS) {
    const v = input[c.name];
    if (v === undefined) continue;
    row[c.name] = c.type === 'datetime' ? new Date(v as string) : (v as Row[string]);
  }
  return row;
}

function invalid(error: z.ZodError): KvError {
  const issue = error.issues[0];
  return new KvError(
    400,
    'BadParameter',
    `Invalid audit rows at ${issue?.path.join('.') || '(body)'}: ${issue?.message ?? 'unexpected content'}`,
  );
}

function listing(log: RequestLog): object {
  return {
    ingestionDelayMs: log.ingestionDelayMs,
    rows: log.all().map((e) => ({
      ...Object.fromEntries(
        Object.entries(e.row).map(([k, v]) => [k, v instanceof Date ? v.toISOString() : v]),
      ),
      _visibleAt: new Date(e.visibleAt).toISOString(),
    })),
  };
}

/**
 * `/_emulator/audit-rows` (GET lists every row with when it becomes visible, POST injects rows with a
 * chosen TimeGenerated, DELETE clears) and `/_emulator/audit-settings` (GET/PUT the ingestion delay).
 * Returns false when the path is not one of them.
 */
export async function handleAuditAdmin(
  req: IncomingMessage,
  res: ServerResponse,
  what: string,
  log: RequestLog,
  vault: VaultResource,
): Promise<boolean> {
  const method = req.method ?? 'GET';
  if (what === 'audit-rows' && method === 'GET') sendJson(res, 200, listing(log));
  else if (what === 'audit-rows' && method === 'DELETE') {
    const cleared = log.all().length;
    log.clear();
    sendJson(res, 200, { cleared });
  } else if (what === 'audit-rows' && method === 'POST') {
    const parsed = postSchema.safeParse(parseJsonBody(req, await readBody(req)));
    if (!parsed.success) throw invalid(parsed.error);
    const body = Array.isArray(parsed.data)
      ? { rows: parsed.data, ingestionDelayMs: undefined }
      : parsed.data;
    for (const r of body.rows) log.append(toRow(r, vault), body.ingestionDelayMs ?? log.ingestionDelayMs);
    sendJson(res, 201, { added: body.rows.length });
  } else if (what === 'audit-settings' && method === 'GET')
    sendJson(res, 200, { ingestionDelayMs: log.ingestionDelayMs });
  else if (what === 'audit-settings' && method === 'PUT') {
    const parsed = settingsSchema.safeParse(parseJsonBody(req, await readBody(req)));
    if (!parsed.success) throw invalid(parsed.error);
    log.ingestionDelayMs = parsed.data.ingestionDelayMs;
    sendJson(res, 200, { ingestionDelayMs: log.ingestionDelayMs });
  } else return false;
  return true;
}
