/**
 * One named part of the daemon (Redis, workers, sweep schedule, health server, …). The composition
 * root starts parts in order and stops them in reverse; a part added later (the access API, the
 * audit watcher) is one more module that returns this.
 */
export interface DaemonPart {
  readonly name: string;
  /** A part that listens (the health server, the access API): the port it bound. */
  readonly port?: number;
  /** Stops taking new work and lets work in flight finish; the daemon bounds it with its shutdown timeout. */
  drain?(): Promise<void>;
  /** Ends what drain left (forcibly once the timeout passed) and releases every resource. */
  stop(): Promise<void>;
}

/** Stops the parts in reverse order of their start; one that fails to stop does not keep the others open. */
export async function stopParts(parts: readonly DaemonPart[]): Promise<void> {
  for (const part of [...parts].reverse()) await part.stop().catch(() => undefined);
}

/** Drains every part at once; resolves 'timeout' when they do not finish within `ms`. */
export async function drainParts(parts: readonly DaemonPart[], ms: number): Promise<'drained' | 'timeout'> {
  const drained = Promise.all(parts.map((p) => p.drain?.() ?? Promise.resolve())).then(
    () => 'drained' as const,
  );
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), ms);
  });
  try {
    return await Promise.race([drained, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
