import { request } from 'node:https';
import type { FaultOptions } from '../../src/emulator';

/** The emulator's control endpoints over the wire, so the same code drives an in-process or a child emulator. */
export interface EmulatorAdmin {
  counters(): Promise<Record<string, number>>;
  resetCounters(): Promise<void>;
  setFaults(faults: FaultOptions): Promise<void>;
}

export function emulatorAdmin(url: string, caPem: string): EmulatorAdmin {
  const call = (method: string, path: string, body?: unknown): Promise<unknown> =>
    new Promise((resolve, reject) => {
      const req = request(
        `${url}/_emulator/${path}`,
        { method, ca: caPem, headers: { 'content-type': 'application/json' } },
        (res) => {
          let text = '';
          res.on('data', (d: Buffer) => (text += d.toString()));
          res.on('end', () =>
            (res.statusCode ?? 500) < 300
              ? resolve(JSON.parse(text || '{}'))
              : reject(new Error(`emulator ${method} ${path}: ${res.statusCode ?? '?'} ${text}`)),
          );
        },
      );
      req.on('error', reject);
      req.end(body === undefined ? undefined : JSON.stringify(body));
    });
  return {
    counters: async () => (await call('GET', 'counters')) as Record<string, number>,
    resetCounters: async () => {
      await call('POST', 'counters/reset');
    },
    setFaults: async (faults) => {
      await call('PUT', 'faults', faults);
    },
  };
}
