export { loadConfig, CONFIG_VARIABLES, type Config, type Environment } from './config';
export { parseIsoDuration } from './duration';
