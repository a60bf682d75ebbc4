import type { JWTPayload } from 'jose';
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { handleAdmin } from './admin';
import { bearerToken, checkAuth } from './auth';
import { handleAuditAdmin } from './audit-log/audit-admin';
import { recordRequest, type AuditContext } from './audit-log/record-request';
import { RequestLog } from './audit-log/request-log';
import { vaultResource, type VaultResource } from './identity/vault-resource';
import { answerLogsRequest, isLogsPath } from './logs-query/logs-api';
import { createRbacGate, type RbacGate } from './rbac/rbac-gate';
import type { RbacPolicy } from './rbac/rbac-file';
import { createCertificates } from './certificates';
import { Counters } from './counters';
import { checkApiVersion } from './api-version';
import { BackupSealer } from './backup-blob';
import { KvError } from './errors';
import { FaultController, requestKind, type FaultOptions, type RequestKind } from './faults';
import { parseJsonBody, readBody, sendError, sendJson } from './http-io';
import { execute } from './operations';
import { loadSnapshot, saveSnapshot } from './persistence';
import { isMutation, needsBody, parseTarget, route, type Route } from './routes';
import { SecretStore } from './store';
import { Wire } from './wire';

export type { FaultOptions } from './faults';

/** The subset of pino the emulator uses, so callers can pass theirs or nothing. */
interface EmulatorLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface EmulatorOptions {
  /** 0 = ephemeral. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  dataFile?: string;
  requiredToken?: string;
  /** Where caFile is written; default a temp dir. */
  certDir?: string;
  faults?: FaultOptions;
  logger?: EmulatorLogger;
  /** How long delete, recover and purge take to settle, in ms (default 1000; 0 = at once). */
  settleMs?: number;
  /** `--rbac FILE`, loaded: verify tokens against its issuer and enforce its role assignments. */
  rbac?: RbacPolicy;
  /** The Log Analytics workspace id the query API answers for; default DEFAULT_WORKSPACE_ID. */
  workspaceId?: string;
  /** How long a request takes to show in the query API (Log Analytics ingests minutes late); default 0. */
  ingestionDelayMs?: number;
  /** Rows the request log keeps; default 100k. */
  logCapacity?: number;
}

/** The workspace id the emulator answers for unless told another. */
export const DEFAULT_WORKSPACE_ID = '00000000-0000-4000-8000-00000000a0d1';

export interface RunningEmulator {
  /** https://127.0.0.1:PORT */
  url: string;
  caFile: string;
  port: number;
  /** The Log Analytics query endpoint: the same origin, serving `/v1/workspaces/{id}/query`. */
  logsUrl: string;
  workspaceId: string;
  /** The request log behind the query API (rows, ingestion delay). */
  requestLog: RequestLog;
  close(): Promise<void>;
  setFaults(f: FaultOptions): void;
  counters(): Record<string, number>;
  resetCounters(): void;
}

interface Deps {
  store: SecretStore;
  sealer: BackupSealer;
  wire: Wire;
  faults: FaultController;
  counters: Counters;
  baseUrl: string;
  dataFile?: string;
  requiredToken?: string;
  logger?: EmulatorLogger;
  requestLog: RequestLog;
  vault: VaultResource;
  workspaceId: string;
  rbac?: RbacGate;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** `/_emulator/…`: the test controls (faults, counters, audit rows); never audited themselves. */
async function handleControl(
  req: IncomingMessage,
  res: ServerResponse,
  d: Deps,
  segments: string[],
): Promise<void> {
  const what = segments
    .slice(1)
    .filter((s) => s !== '')
    .join('/');
  if (await handleAuditAdmin(req, res, what, d.requestLog, d.vault)) return;
  await handleAdmin(req, res, segments, d.faults, d.counters);
}

/** With RBAC, the caller's role must grant the operation; the audit row records a refusal. */
function authorizeCaller(d: Deps, caller: JWTPayload | undefined, r: Route, audit: AuditContext): void {
  if (d.rbac && caller !== undefined) {
    audit.rbacAuthorized = false;
    d.rbac.authorize(caller, r);
    audit.rbacAuthorized = true;
  }
}

/** The injected latency and the next scripted fault, if any (thrown as the service's error). */
async function applyFaults(d: Deps, op: Route['op'], kind: RequestKind): Promise<void> {
  const latency = d.faults.latencyMs();
  if (latency > 0) await sleep(latency);
  const fault = d.faults.decide(kind);
  if (fault) {
    d.counters.increment(fault.kind);
    throw fault.error;
  }
  d.counters.increment(op);
}

async function handle(
  req: IncomingMessage,
  res: ServerResponse,
  d: Deps,
  audit: AuditContext,
): Promise<void> {
  const target = parseTarget(req.url);
  if (target.segments[0] === '_emulator') {
    audit.audited = false;
    return handleControl(req, res, d, target.segments);
  }
  // Read (bounded) before answering anything, so a keep-alive connection never holds unread bytes.
  const raw = await readBody(req);
  if (isLogsPath(target.segments)) {
    audit.audited = false;
    const a = answerLogsRequest(req, target.segments, () => parseJsonBody(req, raw), {
      workspaceId: d.workspaceId,
      rows: () => d.requestLog.ingested(),
      now: () => new Date(),
    });
    sendJson(res, a.status, a.body, a.headers);
    return;
  }
  checkAuth(req, d.rbac ? undefined : d.requiredToken);
  const caller = d.rbac ? await d.rbac.authenticate(bearerToken(req) ?? '') : undefined;
  const apiVersion = checkApiVersion(target.query.get('api-version'));
  const r = route(req.method ?? 'GET', target.segments);
  authorizeCaller(d, caller, r, audit);
  await applyFaults(d, r.op, requestKind(req.method));
  const result = execute(r, {
    store: d.store,
    wire: d.wire,
    baseUrl: d.baseUrl,
    query: target.query,
    apiVersion,
    body: () => (needsBody(r.op) ? parseJsonBody(req, raw) : undefined),
    sealer: d.sealer,
    emptyPage: () => d.faults.emptyPage(),
  });
  if (d.dataFile && isMutation(r.op)) saveSnapshot(d.dataFile, d.store.snapshot());
  sendJson(res, result.status, result.body);
}

function onRequest(req: IncomingMessage, res: ServerResponse, d: Deps): void {
  const audit = recordRequest(req, res, { log: d.requestLog, vault: d.vault, baseUrl: d.baseUrl });
  handle(req, res, d, audit).catch((err: unknown) => {
    if (err instanceof KvError) {
      if (err.status === 401) d.counters.increment('unauthorized');
      else if (err.status >= 400 && err.status < 500 && err.status !== 429)
        d.counters.increment('badRequest');
      sendError(res, err);
      // After a refused oversized body the rest of the stream is garbage: drop the connection.
      if (err.status === 413) res.on('finish', () => req.destroy());
      return;
    }
    d.logger?.error({ err }, 'emulator request failed');
    sendError(res, new KvError(500, 'InternalServerError', 'The emulator failed to handle the request.'));
  });
}

/** Binds the server; resolves with the port (the one asked for, or a free one for 0). */
async function listenOn(server: Server, port: number, host: string): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return (server.address() as AddressInfo).port;
}

/** Keep-alive sockets from SDK clients would otherwise hold close() open indefinitely. */
function closer(server: Server): () => Promise<void> {
  const sockets = new Set<Socket>();
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  return () =>
    new Promise<void>((resolve, reject) => {
      server.close((err) => (err ? reject(err) : resolve()));
      for (const s of sockets) s.destroy();
    });
}

function loadStore(opts: EmulatorOptions): SecretStore {
  const store = new SecretStore({ ...(opts.settleMs !== undefined && { settleMs: opts.settleMs }) });
  if (opts.dataFile) {
    const snapshot = loadSnapshot(opts.dataFile);
    if (snapshot) store.load(snapshot);
  }
  return store;
}

/** Starts an HTTPS Key Vault secrets emulator with its own CA; resolves once it is listening. */
export async function startEmulator(opts: EmulatorOptions): Promise<RunningEmulator> {
  const certs = await createCertificates(opts.certDir);
  const store = loadStore(opts);
  const faults = new FaultController(opts.faults ?? {});
  const requestLog = new RequestLog(opts.logCapacity, opts.ingestionDelayMs ?? 0);
  const counters = new Counters();
  const host = opts.host ?? '127.0.0.1';
  // Deps is filled in once the port is known, because ids in every answer carry the real port.
  const deps: { current?: Deps } = {};
  const server: Server = createServer({ key: certs.keyPem, cert: certs.certPem }, (req, res) => {
    if (deps.current) onRequest(req, res, deps.current);
    else sendError(res, new KvError(503, 'ServiceUnavailable', 'The emulator is starting.'));
  });
  const close = closer(server);
  server.on('tlsClientError', () => undefined);
  server.on('clientError', (_err, socket) => socket.destroy());
  const port = await listenOn(server, opts.port ?? 0, host);
  const urlHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  const url = `https://${urlHost}:${port}`;
  const vault = vaultResource(port);
  const workspaceId = opts.workspaceId ?? DEFAULT_WORKSPACE_ID;
  deps.current = {
    requestLog,
    vault,
    workspaceId,
    ...(opts.rbac !== undefined && { rbac: createRbacGate(opts.rbac, vault) }),
    store,
    sealer: new BackupSealer(() => store.backupKey),
    wire: new Wire(url),
    faults,
    counters,
    baseUrl: url,
    ...(opts.dataFile !== undefined && { dataFile: opts.dataFile }),
    ...(opts.requiredToken !== undefined && { requiredToken: opts.requiredToken }),
    ...(opts.logger !== undefined && { logger: opts.logger }),
  };
  opts.logger?.info({ url, caFile: certs.caFile }, 'key vault emulator listening');

  return {
    url,
    caFile: certs.caFile,
    port,
    logsUrl: url,
    workspaceId,
    requestLog,
    close,
    setFaults: (f) => faults.set(f),
    counters: () => counters.snapshot(),
    resetCounters: () => counters.reset(),
  };
}
