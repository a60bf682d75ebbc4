import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { repoRoot } from '../repo-root';

/** The installed CLI, run as an operator runs it. */
export const ROTATOR_BIN = join(repoRoot(), 'bin', 'rotator.js');

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export interface Child {
  process: ChildProcess;
  output(): string;
  stop(): Promise<void>;
}

/** Starts `rotator <args>` and resolves with the first stdout line that parses as JSON, if asked. */
export function startRotator(
  args: string[],
  env: Record<string, string>,
  nodeFlags: readonly string[] = [],
): { child: Child; firstJsonLine: Promise<Record<string, unknown>> } {
  const proc = spawn(process.execPath, [...nodeFlags, ROTATOR_BIN, ...args], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const firstJsonLine = new Promise<Record<string, unknown>>((resolve, reject) => {
    proc.stdout.on('data', (d: Buffer) => {
      output += d.toString();
      for (const line of output.split('\n')) {
        if (!line.startsWith('{')) continue;
        try {
          resolve(JSON.parse(line) as Record<string, unknown>);
        } catch {
          // an incomplete line; wait for the rest
        }
      }
    });
    proc.once('exit', (code) =>
      reject(new Error(`rotator ${args[0] ?? ''} exited with ${code ?? 'a signal'}: ${output}`)),
    );
  });
  proc.stderr.on('data', (d: Buffer) => (output += d.toString()));
  firstJsonLine.catch(() => undefined);
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  return {
    child: {
      process: proc,
      output: () => output,
      stop: async () => {
        if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
        await exited;
      },
    },
    firstJsonLine,
  };
}

/** Peak resident memory of a live process, from Linux's /proc (VmHWM), in bytes. */
export function peakRss(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = /^VmHWM:\s+(\d+) kB$/m.exec(status);
  return match === null ? Number.NaN : Number(match[1]) * 1024;
}
