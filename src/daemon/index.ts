export { startDaemon, type DaemonDeps, type RunningDaemon } from './daemon';
