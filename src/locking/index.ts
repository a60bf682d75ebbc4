export { RedisRotationLock } from './redis-rotation-lock';
