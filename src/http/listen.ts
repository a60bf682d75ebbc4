import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ListeningServer {
  /** The bound port (the one asked for, or the one the system chose for port 0). */
  port: number;
  close(): Promise<void>;
}

/**
 * Binds a server and rejects when the port cannot be had. On close, `idle` lets requests in flight
 * finish (an API answering callers); `all` cuts every connection (a probe endpoint has nothing to finish).
 */
export async function listen(
  server: Server,
  port: number,
  host: string | undefined,
  closeConnections: 'idle' | 'all',
): Promise<ListeningServer> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host ?? '0.0.0.0', () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        if (closeConnections === 'all') server.closeAllConnections();
        server.close(() => resolve());
        if (closeConnections === 'idle') server.closeIdleConnections();
      }),
  };
}
