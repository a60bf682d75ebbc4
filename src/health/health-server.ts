import { createServer, type Server } from 'node:http';
import { listen } from '../http';

type ReadinessCheck = () => Promise<void>;

interface HealthServerOptions {
  port: number;
  host?: string;
  /** Named dependencies that must answer for /readyz: Redis and every vault. */
  checks: Record<string, ReadinessCheck>;
  /** False while the daemon stops: /readyz then fails so no new work is routed here. */
  accepting(): boolean;
  /** The owner's lifecycle state, reported in the body of /readyz (e.g. `running`, `draining`). */
  state?(): string;
  checkTimeoutMs?: number;
}

export interface HealthServer {
  port: number;
  close(): Promise<void>;
}

function withTimeout(check: ReadinessCheck, ms: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    check().then(
      () => {
        clearTimeout(timer);
        resolve();
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });
}

/** `/healthz`: the process answers. `/readyz`: Redis and every vault answer, and the daemon is not stopping. */
export async function startHealthServer(options: HealthServerOptions): Promise<HealthServer> {
  const timeoutMs = options.checkTimeoutMs ?? 3_000;
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const reply = (status: number, body: unknown): void => {
      res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
      res.end(`${JSON.stringify(body)}\n`);
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') return reply(405, { status: 'method not allowed' });
    if (path === '/healthz') return reply(200, { status: 'ok' });
    if (path !== '/readyz') return reply(404, { status: 'not found', paths: ['/healthz', '/readyz'] });
    void (async () => {
      const entries = Object.entries(options.checks);
      const results = await Promise.all(
        entries.map(async ([name, check]) => {
          try {
            await withTimeout(check, timeoutMs);
            return [name, 'ok'] as const;
          } catch (error) {
            return [name, `failing: ${error instanceof Error ? error.message : String(error)}`] as const;
          }
        }),
      );
      const checks = Object.fromEntries(results);
      const accepting = options.accepting();
      const ready = accepting && results.every(([, r]) => r === 'ok');
      const status = ready ? 'ready' : accepting ? 'not ready' : 'stopping';
      reply(ready ? 200 : 503, { status, state: options.state?.(), checks });
    })();
  });
  return listen(server, options.port, options.host, 'all');
}
