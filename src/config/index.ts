export {
  loadConfig,
  CONFIG_VARIABLES,
  type AccessConfig,
  type AuditWatchConfig,
  type Config,
  type Environment,
} from './config';
export { parseIsoDuration } from './duration';
export { isLoopback, maskUrlCredentials } from './url-credentials';
