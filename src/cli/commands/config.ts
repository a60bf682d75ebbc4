import { Option, type Command } from 'commander';
import { loadConfig, type Config, type Environment } from '../../config';
import type { BudgetLimits, ClassLimits } from '../../budget';
import { maskRedisUrl } from '../../redis';
import type { CliIo } from '../cli-io';

function describeLimits(c: ClassLimits): string {
  const per = (ms: number): string => `${ms / 1000} s`;
  return `${c.writes.max} writes/${per(c.writes.windowMs)}, ${c.others.max} others/${per(c.others.windowMs)}`;
}

/** Each vault's request budget as one line: the default, the vaults of their own, the subscription cap. */
function describeBudgets(budgets: BudgetLimits | undefined): string {
  if (budgets === undefined) return 'off';
  const own = Object.entries(budgets.vaults).map(([url, c]) => `${url}: ${describeLimits(c)}`);
  return [
    `default: ${describeLimits(budgets.byDefault)}`,
    ...own,
    `subscription: ${describeLimits(budgets.subscription)}`,
  ].join('; ');
}

/** What an operator may see of the configuration: durations as written, no token or connection string. */
function describeConfig(config: Config): Record<string, unknown> {
  return {
    vaultUrls: config.vaultUrls,
    vaultCaFile: config.vaultCaFile ?? null,
    vaultToken: config.vaultToken === undefined ? null : '***',
    redisUrl: maskRedisUrl(config.redisUrl),
    targetPolicy: config.targetPolicyFile ?? null,
    queuePrefix: config.queuePrefix,
    rotationInterval: config.rotationInterval.iso,
    usageGrace: config.usageGrace.iso,
    sweepInterval: config.sweepInterval.iso,
    healthPort: config.healthPort,
    vaultBudgets: describeBudgets(config.vaultBudgets),
    rateLimit: config.rateLimit === undefined ? 'off' : `${config.rateLimit.max}/${config.rateLimit.per.iso}`,
    telemetry: config.appInsightsConnectionString
      ? 'azure-monitor'
      : config.otlpEndpoint !== undefined
        ? 'otlp'
        : 'console',
    logLevel: config.logLevel,
    accessApi: config.access.apiPort === undefined ? null : `:${config.access.apiPort}`,
    apiAudience: config.access.audience ?? null,
    apiIssuer: config.access.issuer ?? null,
    approvalTimeout: config.access.approvalTimeout.iso,
    accessMax: config.access.accessMax.iso,
    apiUrl: config.access.apiUrl ?? null,
    apiToken: config.access.apiToken === undefined ? null : '***',
    auditWorkspaceId: config.audit.workspaceId ?? null,
    logsEndpoint: config.audit.logsEndpoint,
    auditPoll: config.audit.poll.iso,
  };
}

export function registerConfigCommand(program: Command, io: CliIo, env: Environment): void {
  program
    .command('config')
    .description('Validate the environment and print the effective configuration (secrets masked)')
    .addOption(new Option('--output <format>', 'table or json').choices(['table', 'json']).default('table'))
    .addHelpText('after', '\nExample:\n  ROTATOR_USAGE_GRACE=PT10M rotator config --output json\n')
    .action((opts: { output: string }) => {
      const described = describeConfig(loadConfig(env));
      if (opts.output === 'json') {
        io.stdout.write(`${JSON.stringify(described)}\n`);
        return;
      }
      for (const [key, value] of Object.entries(described)) {
        io.stdout.write(`${key.padEnd(18)} ${Array.isArray(value) ? value.join(', ') : String(value)}\n`);
      }
    });
}
