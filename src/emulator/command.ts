import { startEmulator, type RunningEmulator } from './server';

export const DEFAULT_EMULATOR_PORT = 8443;

/**
 * `rotator emulator`: starts the emulator and prints exactly one JSON line once it listens, so a
 * script can read the url and CA path from stdout without parsing log text.
 */
export async function runEmulatorCommand(opts: {
  port?: number;
  dataFile?: string;
  settleMs?: number;
  stdout: NodeJS.WritableStream;
}): Promise<RunningEmulator> {
  const emulator = await startEmulator({
    port: opts.port ?? DEFAULT_EMULATOR_PORT,
    ...(opts.dataFile !== undefined && { dataFile: opts.dataFile }),
    ...(opts.settleMs !== undefined && { settleMs: opts.settleMs }),
  });
  opts.stdout.write(`${JSON.stringify({ url: emulator.url, caFile: emulator.caFile })}\n`);
  return emulator;
}
