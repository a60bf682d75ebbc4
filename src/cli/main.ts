import { loadConfig } from '../config';

/**
 * The `rotator` binary. For the daemon, telemetry starts before the rest of the program loads, so
 * the HTTP and Azure SDK instrumentations see every module they patch.
 */
async function main(): Promise<void> {
  if (process.argv[2] === 'daemon') {
    try {
      const config = loadConfig(process.env);
      // The telemetry face loads nothing that its instrumentations patch (no SDK, Redis or HTTP client).
      const { startTelemetry, telemetryOptions } = await import('../telemetry/index.js');
      startTelemetry(telemetryOptions(config));
    } catch {
      // A bad configuration is reported by the command itself, with its exit code.
    }
  }
  const { runCli } = await import('./program.js');
  process.exitCode = await runCli(process.argv.slice(2), {
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
  });
}

void main();
