export { startDaemon, type RunningDaemon } from './daemon';
export type { AccessShared, DaemonDeps } from './daemon-deps';
export type { DaemonPart } from './daemon-part';
