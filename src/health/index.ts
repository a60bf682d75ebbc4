export { startHealthServer, type HealthServer } from './health-server';
