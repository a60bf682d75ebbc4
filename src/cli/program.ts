import { Command, CommanderError } from 'commander';
import { isRotatorError } from '../errors';
import type { CliIo } from './cli-io';
import { registerAccessCommands } from './commands/access';
import { registerCheckoutCommand } from './commands/checkout';
import { registerConfigCommand } from './commands/config';
import { registerDaemonCommand } from './commands/daemon';
import { registerJobsCommand } from './commands/jobs';
import { registerRetryCommand } from './commands/retry';
import { registerRotateCommand } from './commands/rotate';
import { registerStatusCommand } from './commands/status';
import { registerEmulatorCommand } from './commands/emulator';

function buildProgram(io: CliIo): Command {
  const program = new Command('rotator')
    .description(
      'Keeps service-account credentials in Azure Key Vault fresh: scheduled and forced-after-use rotation.',
    )
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
    })
    .exitOverride()
    .showHelpAfterError('(run with --help for usage)');
  registerDaemonCommand(program, io);
  registerRotateCommand(program, io);
  registerCheckoutCommand(program, io);
  registerAccessCommands(program, io);
  registerStatusCommand(program, io);
  registerJobsCommand(program, io);
  registerRetryCommand(program, io);
  registerEmulatorCommand(program, io);
  registerConfigCommand(program, io, io.env);
  return program;
}

/**
 * Runs the CLI and returns the exit code: 0 success, 1 a failed operation, 2 bad usage or input.
 * Expected failures print one line naming the problem and the fix, never a stack trace.
 */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  const program = buildProgram(io);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version') return 0;
      if (error.code === 'commander.help') return 0;
      return 2;
    }
    if (isRotatorError(error)) {
      io.stderr.write(`rotator: ${error.toOneLine()}\n`);
      return error.exitCode;
    }
    io.stderr.write(
      `rotator: unexpected failure: ${error instanceof Error ? error.message : String(error)}\n`,
    );
    return 1;
  }
}
