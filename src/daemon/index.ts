export { startDaemon, type RunningDaemon } from './daemon';
export type { AccessShared, DaemonContext, DaemonDeps, StartPart } from './daemon-deps';
export type { DaemonPart } from './daemon-part';
