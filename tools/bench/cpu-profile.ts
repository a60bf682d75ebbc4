import { writeFileSync } from 'node:fs';
import { Session, type Profiler } from 'node:inspector/promises';

/**
 * Runs `phase` under V8's CPU profiler (a sample every 100 µs) and writes the profile (open it in
 * Chrome DevTools) to `file`; returns the phase's result and where its samples went.
 */
export async function profiled<T>(
  file: string,
  phase: () => Promise<T>,
): Promise<{ result: T; shares: Record<string, number> }> {
  const session = new Session();
  session.connect();
  try {
    await session.post('Profiler.enable');
    await session.post('Profiler.setSamplingInterval', { interval: 100 });
    await session.post('Profiler.start');
    const outcome = await phase().then(
      (result) => ({ ok: true as const, result }),
      (error: unknown) => ({ ok: false as const, error }),
    );
    const { profile } = await session.post('Profiler.stop');
    writeFileSync(file, JSON.stringify(profile));
    if (!outcome.ok) throw outcome.error;
    return { result: outcome.result, shares: sharesOf(profile) };
  } finally {
    session.disconnect();
  }
}

/** Which part of the process a code location belongs to, for `sharesOf`. */
const GROUPS: ReadonlyArray<[string, RegExp]> = [
  ['vault requests: SDK client', /node_modules\/(@azure|@typespec)\//],
  ['vault requests: emulator', /\/src\/(emulator|http)\//],
  ['vault adapter', /\/src\/vault\//],
  ['BullMQ', /node_modules\/(bullmq|msgpackr)\//],
  ['Redis client', /node_modules\/ioredis\//],
  ['engine and lock', /\/src\/(rotation|locking)\//],
  ['worker, runner, scheduling', /\/src\/(scheduling|daemon|budget|redis)\//],
  ['bench (queueing, polling)', /\/tools\/bench\//],
];

/**
 * Percent of the active samples (idle and the profiler's own left out) by the first frame of each
 * sample's stack that is not Node's own code: a continuation after an await starts a new stack, so
 * this is the code that asked for the work, which Node's HTTP and socket code then does for it;
 * stacks of Node's code alone (socket reads and flushes, timers) are "Node I/O".
 */
export function sharesOf(profile: Profiler.Profile): Record<string, number> {
  const parent = new Map<number, number>();
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const time = new Map<string, number>();
  const deltas = profile.timeDeltas ?? [];
  let active = 0;
  profile.samples?.forEach((id, i) => {
    const stack: Profiler.ProfileNode[] = [];
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const node = byId.get(at);
      if (node !== undefined) stack.unshift(node);
    }
    const leaf = stack[stack.length - 1]?.callFrame.functionName ?? '';
    if (leaf === '(idle)' || stack.some((n) => n.callFrame.url === 'node:inspector')) return;
    const entry = stack.find((n) => n.callFrame.url !== '' && !n.callFrame.url.startsWith('node:'));
    const group =
      leaf === '(garbage collector)'
        ? 'garbage collection'
        : entry === undefined
          ? 'Node I/O (sockets, timers)'
          : (GROUPS.find(([, pattern]) => pattern.test(entry.callFrame.url))?.[0] ?? 'other');
    const delta = deltas[i] ?? 0;
    time.set(group, (time.get(group) ?? 0) + delta);
    active += delta;
  });
  return Object.fromEntries(
    [...time]
      .sort((a, b) => b[1] - a[1])
      .map(([group, t]) => [group, Math.round((1000 * t) / Math.max(active, 1)) / 10]),
  );
}
