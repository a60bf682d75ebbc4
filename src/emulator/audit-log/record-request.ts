import type { IncomingMessage, ServerResponse } from 'node:http';
import { bearerToken } from '../auth';
import { decodeCallerClaims } from '../identity/claims';
import type { VaultResource } from '../identity/vault-resource';
import { auditRow } from './audit-row';
import type { RequestLog } from './request-log';

/** What the request handler learns that the log needs: whether RBAC allowed the call. */
export interface AuditContext {
  /** false for the emulator's own admin and query endpoints, which the vault's log never shows. */
  audited: boolean;
  rbacAuthorized: boolean | undefined;
}

const header = (req: IncomingMessage, name: string): string | undefined => {
  const v = req.headers[name];
  // Bounded: the log is in memory and a header may be 16 KB.
  return typeof v === 'string' ? v.slice(0, 512) : undefined;
};

/**
 * Logs the request as an AZKVAuditLogs row as its answer is sent, with the caller's claims decoded
 * from the bearer token (unverified without --rbac) and the status actually answered.
 */
export function recordRequest(
  req: IncomingMessage,
  res: ServerResponse,
  deps: { log: RequestLog; vault: VaultResource; baseUrl: string },
): AuditContext {
  const ctx: AuditContext = { audited: true, rbacAuthorized: undefined };
  const startedAt = new Date();
  const t0 = performance.now();
  let recorded = false;
  const record = (): void => {
    if (!ctx.audited || recorded) return;
    recorded = true;
    const url = (req.url ?? '/').slice(0, 4096);
    deps.log.append(
      auditRow({
        method: req.method ?? 'GET',
        url,
        baseUrl: deps.baseUrl,
        status: res.statusCode,
        startedAt,
        durationMs: performance.now() - t0,
        remoteAddress: req.socket.remoteAddress,
        clientRequestId: header(req, 'x-ms-client-request-id'),
        userAgent: header(req, 'user-agent'),
        apiVersion: new URLSearchParams(url.split('?')[1] ?? '').get('api-version') ?? undefined,
        claims: decodeCallerClaims(bearerToken(req)),
        rbacAuthorized: ctx.rbacAuthorized,
        vault: deps.vault,
      }),
    );
  };
  // The row is written as the answer is handed over, before its bytes leave (as an audit device
  // does): a client that has its answer can always query its row; 'finish' would race with it.
  const end = res.end.bind(res) as (...args: unknown[]) => ServerResponse;
  res.end = ((...args: unknown[]) => {
    record();
    return end(...args);
  }) as ServerResponse['end'];
  return ctx;
}
