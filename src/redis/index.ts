export { connectRedis } from './connect-redis';
export { maskRedisUrl } from './redis-url';
