import type { AccessRequest, StoredState } from '../../src/access/access-request';
import type { AccessStore } from '../../src/access/access-store';

/** The access store in memory, with the same compare-and-set rule as Redis, and a switch to fail like a lost Redis. */
export class MemoryAccessStore implements AccessStore {
  readonly records = new Map<string, AccessRequest>();
  down = false;

  private check(): void {
    if (this.down) throw new Error('Redis is unreachable');
  }

  create(request: AccessRequest): Promise<void> {
    this.check();
    this.records.set(request.id, structuredClone(request));
    return Promise.resolve();
  }

  get(id: string): Promise<AccessRequest | undefined> {
    this.check();
    const found = this.records.get(id);
    return Promise.resolve(found === undefined ? undefined : structuredClone(found));
  }

  list(): Promise<AccessRequest[]> {
    this.check();
    return Promise.resolve([...this.records.values()].reverse().map((r) => structuredClone(r)));
  }

  transition(id: string, from: StoredState, next: AccessRequest): Promise<boolean> {
    this.check();
    const current = this.records.get(id);
    if (current?.state !== from) return Promise.resolve(false);
    this.records.set(id, structuredClone(next));
    return Promise.resolve(true);
  }

  /** Redis lost (FLUSHALL): every request and window gone. */
  flush(): void {
    this.records.clear();
  }
}
