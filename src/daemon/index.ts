export { startDaemon, type RunningDaemon } from './daemon';
export type { DaemonContext, DaemonDeps, StartPart } from './daemon-deps';
export type { DaemonPart } from './daemon-part';
