export { connectRedis } from './connect-redis';
export { maskRedisUrl } from './redis-url';
export { RedisRequestBudget } from './redis-request-budget';
export { coalesceWrites } from './coalesce-writes';
