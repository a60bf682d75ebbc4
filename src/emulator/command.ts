import { loadRbacPolicy } from './rbac/rbac-file';
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
  /** `--rbac FILE`: read and checked before anything listens, so a bad file is exit 2 and no server. */
  rbacFile?: string;
  workspaceId?: string;
  ingestionDelayMs?: number;
  stdout: NodeJS.WritableStream;
}): Promise<RunningEmulator> {
  const rbac = opts.rbacFile === undefined ? undefined : loadRbacPolicy(opts.rbacFile);
  const emulator = await startEmulator({
    port: opts.port ?? DEFAULT_EMULATOR_PORT,
    ...(opts.dataFile !== undefined && { dataFile: opts.dataFile }),
    ...(opts.settleMs !== undefined && { settleMs: opts.settleMs }),
    ...(rbac !== undefined && { rbac }),
    ...(opts.workspaceId !== undefined && { workspaceId: opts.workspaceId }),
    ...(opts.ingestionDelayMs !== undefined && { ingestionDelayMs: opts.ingestionDelayMs }),
  });
  const { url, caFile, logsUrl, workspaceId } = emulator;
  opts.stdout.write(`${JSON.stringify({ url, caFile, logsUrl, workspaceId })}\n`);
  return emulator;
}
