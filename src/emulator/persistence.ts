import { closeSync, fsyncSync, openSync, readFileSync, renameSync, writeSync, existsSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Snapshot } from './store';

/** Returns undefined when no state exists yet; a corrupt file is an error, never silently emptied. */
export function loadSnapshot(file: string): Snapshot | undefined {
  if (!existsSync(file)) return undefined;
  const parsed: unknown = JSON.parse(readFileSync(file, 'utf8'));
  if (
    typeof parsed !== 'object' ||
    parsed === null ||
    (parsed as { format?: unknown }).format !== 1 ||
    !Array.isArray((parsed as { secrets?: unknown }).secrets)
  ) {
    throw new Error(`${file} is not an emulator state file (format 1)`);
  }
  return parsed as Snapshot;
}

/**
 * Temp file + fsync + rename + directory fsync: after a crash the file holds either the old or the
 * new state, never half of one. Synchronous on purpose, so saves from concurrent requests cannot
 * interleave and the response goes out only once the state is durable.
 */
export function saveSnapshot(file: string, snapshot: Snapshot): void {
  const tmp = `${file}.${process.pid}.tmp`;
  const fd = openSync(tmp, 'w', 0o600);
  try {
    writeSync(fd, JSON.stringify(snapshot));
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, file);
  try {
    const dirFd = openSync(dirname(file), 'r');
    try {
      fsyncSync(dirFd);
    } finally {
      closeSync(dirFd);
    }
  } catch {
    // Some filesystems refuse to fsync a directory; the rename itself is still atomic there.
  }
}
