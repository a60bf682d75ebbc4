import type { Redis } from 'ioredis';
import { z } from 'zod';
import type { AccessRequest, StoredState } from '../access/access-request';
import type { AccessStore } from '../access/access-store';

/** How long a decided, expired or used request stays listable after its last deadline. */
const RETENTION_MS = 7 * 24 * 3600_000;
const ID = /^[A-Za-z0-9-]{1,64}$/;

const principal = z.object({ id: z.string(), name: z.string() });
const requestSchema = z.object({
  id: z.string(),
  secret: z.string(),
  vault: z.string(),
  requester: principal,
  reason: z.string(),
  ticket: z.string(),
  duration: z.string(),
  durationMs: z.number(),
  createdAt: z.string(),
  decideBy: z.string(),
  state: z.enum(['pending', 'approved', 'denied', 'expired', 'used']),
  approver: principal.optional(),
  decidedAt: z.string().optional(),
  decisionReason: z.string().optional(),
  windowEndsAt: z.string().optional(),
  usedAt: z.string().optional(),
  checkoutId: z.string().optional(),
}) satisfies z.ZodType<AccessRequest>;

// Compare-and-set on the stored state, atomically in Redis: the record is replaced only if its
// state is still the one the caller decided from.
const TRANSITION = `
local current = redis.call('GET', KEYS[1])
if not current then return 0 end
if cjson.decode(current)['state'] ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
return 1
`;

/** Requests as JSON records under `{prefix}:access:request:{id}`, indexed by creation time. */
export class RedisAccessStore implements AccessStore {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  private key(id: string): string {
    return `${this.prefix}:access:request:${id}`;
  }

  private get index(): string {
    return `${this.prefix}:access:requests`;
  }

  private ttlMs(request: AccessRequest): number {
    const deadline = Math.max(
      Date.parse(request.decideBy),
      Date.parse(request.windowEndsAt ?? request.decideBy),
    );
    return Math.max(deadline - Date.now(), 0) + RETENTION_MS;
  }

  async create(request: AccessRequest): Promise<void> {
    await this.redis
      .multi()
      .set(this.key(request.id), JSON.stringify(request), 'PX', this.ttlMs(request), 'NX')
      .zadd(this.index, Date.parse(request.createdAt), request.id)
      .exec();
  }

  async get(id: string): Promise<AccessRequest | undefined> {
    if (!ID.test(id)) return undefined;
    return this.parse(await this.redis.get(this.key(id)));
  }

  async list(): Promise<AccessRequest[]> {
    const ids = await this.redis.zrevrange(this.index, 0, 999);
    if (ids.length === 0) return [];
    const records = await this.redis.mget(ids.map((id) => this.key(id)));
    const gone = ids.filter((_, i) => records[i] === null);
    if (gone.length > 0) await this.redis.zrem(this.index, ...gone);
    return records.map((r) => this.parse(r)).filter((r): r is AccessRequest => r !== undefined);
  }

  async transition(id: string, from: StoredState, next: AccessRequest): Promise<boolean> {
    if (!ID.test(id)) return false;
    const done = await this.redis.eval(
      TRANSITION,
      1,
      this.key(id),
      from,
      JSON.stringify(next),
      this.ttlMs(next),
    );
    return done === 1;
  }

  private parse(text: string | null): AccessRequest | undefined {
    if (text === null) return undefined;
    const parsed = requestSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : undefined;
  }
}
