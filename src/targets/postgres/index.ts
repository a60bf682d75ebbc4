export { createPostgresTarget } from './postgres-target';
export { POSTGRES_POLICY } from './policy';
export { parseConnectionString } from './connection-string';
