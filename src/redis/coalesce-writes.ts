import type { Redis } from 'ioredis';

/**
 * Holds back what `redis` sends until this turn of the event loop has run its callbacks and promise
 * continuations, then sends it all in one write. Every command is otherwise a write of its own, and a
 * write is a system call, the dearest part of a small command: a rotation's lock release, its outcome
 * record and BullMQ's finish of its job, sent one after the other, leave in one write this way. Replies
 * are unchanged and in order; only when the bytes leave moves, by less than one turn of the loop.
 */
export function coalesceWrites(redis: Redis): void {
  if (redis.status !== 'ready') return;
  const socket = redis.stream;
  // A socket corked twice in one turn is uncorked twice: each cork has its own uncork.
  socket.cork();
  setImmediate(() => socket.uncork());
}
