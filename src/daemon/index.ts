export { startDaemon, type DaemonDeps, type RunningDaemon } from './daemon';
export type { DaemonState } from './lifecycle';
