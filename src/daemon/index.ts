export { startDaemon, type RunningDaemon } from './daemon';
export type { DaemonDeps } from './daemon-deps';
