export { loadConfig, CONFIG_VARIABLES, type AccessConfig, type Config, type Environment } from './config';
export { parseIsoDuration } from './duration';
