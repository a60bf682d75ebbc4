import type { Command } from 'commander';
import { runEmulatorCommand } from '../../emulator/command';
import { parsePort, type CliIo } from '../program';

export function registerEmulatorCommand(program: Command, io: CliIo): void {
  program
    .command('emulator')
    .description(
      'Run the Key Vault emulator over HTTPS; prints {"url","caFile"} as one JSON line once it listens',
    )
    .option('--port <n>', 'port to listen on (0 picks a free one)', parsePort, 8443)
    .option('--data <file>', 'keep state in this file across restarts')
    .addHelpText(
      'after',
      '\nExample:\n  rotator emulator --port 8443 --data .rotator/vault.json\n' +
        '  export ROTATOR_VAULT_URL=<url> ROTATOR_VAULT_CA_FILE=<caFile> ROTATOR_VAULT_TOKEN=dev\n',
    )
    .action(async (opts: { port: number; data?: string }) => {
      const emulator = await runEmulatorCommand({ port: opts.port, dataFile: opts.data, stdout: io.stdout });
      // Serve until told to stop; closing lets an in-flight write finish before exit.
      await new Promise<void>((resolve) => {
        const stop = (): void => {
          void emulator.close().then(resolve, resolve);
        };
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
    });
}
