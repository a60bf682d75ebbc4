import type { Command } from 'commander';
import type { TokenCredential } from '@azure/identity';
import pino, { type Logger } from 'pino';
import { DeferredRequestBudget } from '../../budget';
import { systemClock } from '../../clock';
import { loadConfig, type Config } from '../../config';
import { startDaemon, type StartPart } from '../../daemon';
import { createLogger } from '../../logging';
import { daemonTelemetryHooks, startTelemetry, telemetryOptions } from '../../telemetry';
import { createTargetRegistry } from '../../targets';
import { readFileSync } from 'node:fs';
import { accessPart } from '../../access-api/access-part';
import { auditWatchPart } from '../../audit-watch';
import { auditScanTelemetry } from '../../telemetry';
import { accessTelemetry } from '../../telemetry/access';
import { staticTokenCredential } from '../../vault/client-options';
import { createSecretStores, createVaultCredential } from '../../vault';
import { connectionVaults } from '../../policy';
import type { CliIo } from '../cli-io';

/** Resolves on the first SIGTERM or SIGINT: the container runtime's and the terminal's stop. */
function stopSignal(): Promise<string> {
  return new Promise((resolve) => {
    const onSignal = (signal: string): void => {
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
      resolve(signal);
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
}

/** The parts that run only when configured: the reads backstop (a workspace set), the access API (a port set). */
function optionalParts(config: Config, credential: TokenCredential, logger: Logger): StartPart[] {
  const log = (record: Record<string, string>): void => logger.info({ audit: record }, 'audit');
  const { workspaceId } = config.audit;
  // The reads backstop queries with the vaults' identity.
  const auditWatch =
    workspaceId === undefined
      ? undefined
      : auditWatchPart({
          config: { ...config.audit, workspaceId },
          credential,
          ...(config.vaultCaFile !== undefined && { caPem: readFileSync(config.vaultCaFile, 'utf8') }),
          ...auditScanTelemetry(log),
        });
  const access = accessPart(config.access, { observer: accessTelemetry(log) });
  return [auditWatch, access].filter((part) => part !== undefined);
}

async function runDaemon(io: CliIo): Promise<void> {
  const config = loadConfig(io.env);
  // Listening before anything starts: a supervisor may signal as soon as /healthz answers (or during
  // start-up), and a SIGTERM before a handler existed would end the process at once, nothing stopped.
  const stopping = stopSignal();
  const logger = createLogger({ level: config.logLevel }, pino.destination({ dest: 1, sync: false }));
  const credential = createVaultCredential(config);
  // Every request to a vault is counted against its budget; the daemon binds it to Redis.
  const budget = new DeferredRequestBudget();
  const stores = createSecretStores(config, credential, budget);
  const connectionVaultsConfig = { ...config, vaultUrls: connectionVaults(config) };
  const connectionStores = createSecretStores(connectionVaultsConfig, credential, budget);
  // Started by cli/main before the rest loaded when possible; this call then returns that instance.
  const telemetry = startTelemetry(telemetryOptions(config));
  const graph =
    config.graphToken === undefined ? {} : { graphCredential: staticTokenCredential(config.graphToken) };
  const daemon = await startDaemon({
    config,
    stores,
    connectionStores,
    targets: createTargetRegistry(config, graph),
    logger,
    clock: systemClock,
    budget,
    parts: optionalParts(config, credential, logger),
    ...daemonTelemetryHooks(logger),
  });
  const signal = await stopping;
  logger.info({ signal }, 'stopping: no new work; running rotations get the shutdown timeout to finish');
  await daemon.stop();
  // Flushes the last spans, metrics and audit records before the process exits.
  await telemetry
    .shutdown()
    .catch((error: unknown) =>
      logger.warn({ err: error instanceof Error ? error.message : String(error) }, 'telemetry flush failed'),
    );
  logger.flush();
}

export function registerDaemonCommand(program: Command, io: CliIo): void {
  program
    .command('daemon')
    .description('Run the scheduler, the rotation workers and the usage-event listener until SIGTERM/SIGINT')
    .addHelpText(
      'after',
      '\nExample:\n  ROTATOR_VAULT_URL=https://myvault.vault.azure.net rotator daemon\n' +
        'Health: GET :$ROTATOR_HEALTH_PORT/healthz (alive) and /readyz (Redis and every vault reachable).\n',
    )
    .action(() => runDaemon(io));
}
