export { startEmulator } from './server';
export type { EmulatorOptions, RunningEmulator, FaultOptions } from './server';
export { DEFAULT_EMULATOR_PORT, runEmulatorCommand } from './command';
export type { Snapshot } from './store';
export { createEmulatorClientOptions } from './client-options';
export { DEFAULT_WORKSPACE_ID } from './server';
export { loadRbacPolicy, type RbacPolicy, type RoleAssignment } from './rbac/rbac-file';
export { AUDIT_COLUMNS, AUDIT_TABLE } from './audit-log/schema';
