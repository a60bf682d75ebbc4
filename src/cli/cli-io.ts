import type { Environment } from '../config';

/** What every command writes to and reads from, handed in so tests run the CLI in-process. */
export interface CliIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  /** The environment, handed in so that only the config module interprets it. */
  env: Environment;
}
