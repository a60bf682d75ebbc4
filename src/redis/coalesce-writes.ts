import type { Redis } from 'ioredis';

/**
 * Holds back what `redis` sends until the promise continuations now queued (and those they queue)
 * have run, then sends it all in one write. Every command is otherwise a write of its own, and a
 * write is a system call, the dearest part of a small command: a rotation's lock release, its outcome
 * record and BullMQ's finish of its job, sent one after the other, leave in one write this way. Replies
 * are unchanged and in order; only when the bytes leave moves, and never past the current callback:
 * holding them to the end of the loop's turn (setImmediate) let a busy sweep's writes pile up, and
 * the daemon's peak RSS at 100,000 secrets grew by 20 to 30 MB.
 */
export function coalesceWrites(redis: Redis): void {
  if (redis.status !== 'ready') return;
  const socket = redis.stream;
  // Each cork has its own uncork, so a socket corked twice before they run is uncorked twice.
  socket.cork();
  process.nextTick(() => socket.uncork());
}
