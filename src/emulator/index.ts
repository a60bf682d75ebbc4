export { startEmulator } from './server';
export type { EmulatorOptions, RunningEmulator, FaultOptions, EmulatorLogger } from './server';
export { runEmulatorCommand } from './command';
export { createEmulatorClientOptions } from './client-options';
