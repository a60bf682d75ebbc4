export { loadConfig, CONFIG_VARIABLES, type Config, type Environment, type VariableName } from './config';
export { parseIsoDuration, type ParsedDuration } from './duration';
