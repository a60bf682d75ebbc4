import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { RotatorError } from '../errors';
import type { BudgetLimits } from '../budget';
import { loadTargetPolicy, type TargetPolicy } from '../policy';
import { parseIsoDuration, type ParsedDuration } from './duration';
import { isLoopback, maskUrlCredentials } from './url-credentials';
import { parseVaultBudgets } from './vault-budgets';

/** The whole configuration, compiled once at start; nothing else reads the environment. */
export interface Config {
  vaultUrls: string[];
  vaultCaFile: string | undefined;
  /** A fixed bearer token (the emulator's); unset means DefaultAzureCredential. */
  vaultToken: string | undefined;
  redisUrl: string;
  queuePrefix: string;
  rotationInterval: ParsedDuration;
  usageGrace: ParsedDuration;
  sweepInterval: ParsedDuration;
  healthPort: number;
  appInsightsConnectionString: string | undefined;
  otlpEndpoint: string | undefined;
  /** OTEL_EXPORTER_OTLP_PROTOCOL: what the OTLP exporters speak (the Aspire dashboard takes protobuf). */
  otlpProtocol: 'http/protobuf' | 'http/json';
  /** Where the Azure Monitor exporter keeps what ingestion has not yet accepted (an outage). */
  telemetryStorageDir: string;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** Microsoft Graph's root (entra-app and entra-user targets); the client adds /v1.0. */
  graphUrl: string;
  /** A fixed bearer token for Graph (a test Graph); unset means DefaultAzureCredential. */
  graphToken: string | undefined;
  /** The Entra token endpoint's host (verification of Entra credentials). */
  authorityHost: string;
  /** The tenant of the managed Entra applications and users. */
  tenantId: string | undefined;
  /** Rotations one daemon runs at once. */
  workerConcurrency: number;
  /** Optional worker-wide limit: at most `max` rotations started per `per`, across all replicas. */
  rateLimit: { max: number; per: ParsedDuration } | undefined;
  /** Each vault's request budget and the subscription's cap; undefined: not metered (`off`). */
  vaultBudgets: BudgetLimits | undefined;
  /** Attempts of a rotation with transient failures before it is quarantined. */
  maxAttempts: number;
  /** What the daemon does when Redis may evict keys: refuse to start, or warn loudly. */
  evictionPolicyCheck: 'refuse' | 'warn';
  /** The first retry delay of a failed rotation; doubled per attempt, with jitter. */
  retryBackoff: ParsedDuration;
  /** How long a stopping daemon lets a running rotation finish. */
  shutdownTimeout: ParsedDuration;
  /** The access API of the daemon and the CLI's way to it (ROTATOR_API_*, approval timing). */
  access: AccessConfig;
  /** The reads backstop (src/audit-watch): on when a workspace is set. */
  audit: AuditWatchConfig;
  /** What the daemon may act on outside Key Vault; undefined refuses every external target. */
  targetPolicy: TargetPolicy | undefined;
  targetPolicyFile: string | undefined;
}

export interface AccessConfig {
  /** Off when undefined: the daemon serves no access API. */
  apiPort: number | undefined;
  /** Both set: HTTPS; neither: HTTP behind a TLS-terminating ingress. */
  tls: { certFile: string; keyFile: string } | undefined;
  /** The `aud` an access token must carry; set whenever apiPort is. */
  audience: string | undefined;
  /** The token issuer; signing keys come from its discovery document. */
  issuer: string | undefined;
  approvalTimeout: ParsedDuration;
  accessMax: ParsedDuration;
  /** CLI: the access API; set means brokered mode. */
  apiUrl: string | undefined;
  apiScope: string | undefined;
  apiToken: string | undefined;
  apiCaFile: string | undefined;
}

/** Where the daemon reads Key Vault's AuditEvent log, and how often. */
export interface AuditWatchConfig {
  /** Log Analytics workspace (customer) id; undefined turns the backstop off. */
  workspaceId: string | undefined;
  logsEndpoint: string;
  poll: ParsedDuration;
}

export type Environment = Readonly<Record<string, string | undefined>>;

const MAX_USAGE_GRACE = parseIsoDuration('PT8H') as ParsedDuration;
/** The just-in-time standard's longest access window. */
const MAX_ACCESS = parseIsoDuration('PT8H') as ParsedDuration;

/** A positive duration variable whose default is also the example shown when a value is refused. */
function positiveDuration<D extends string>(defaultValue: D): { default: D; allowed: string } {
  return { default: defaultValue, allowed: `a positive ISO-8601 duration such as ${defaultValue}` };
}

/** Long enough to show every part of the format, so it stands apart from the table. */
const VAULT_BUDGETS_ALLOWED =
  'off, or a JSON object such as {"default":{"writes":300,"others":4000,"window":"PT10S"},"subscription":{"writes":1500},"https://myvault.vault.azure.net":{"writes":150}} (README "Request budgets")';

/** Each variable: its default and what is allowed, so a bad value is reported with the fix. */
const VARIABLES = {
  ROTATOR_VAULT_URL: {
    allowed: 'comma-separated https:// Key Vault URLs, e.g. https://myvault.vault.azure.net',
  },
  ROTATOR_VAULT_CA_FILE: { allowed: 'the path of a readable PEM file (the emulator prints it as caFile)' },
  ROTATOR_VAULT_TOKEN: { allowed: 'a non-empty bearer token, only for the emulator' },
  REDIS_URL: {
    default: 'redis://127.0.0.1:6379',
    allowed: 'a rediss:// URL (redis:// only for a loopback host), its password URL-encoded',
  },
  ROTATOR_QUEUE_PREFIX: { default: 'bull', allowed: 'letters, digits, - and _ (BullMQ key prefix)' },
  ROTATOR_ROTATION_INTERVAL: positiveDuration('P13D'),
  ROTATOR_USAGE_GRACE: { default: 'PT30M', allowed: 'a positive ISO-8601 duration of at most PT8H' },
  ROTATOR_SWEEP_INTERVAL: positiveDuration('PT5M'),
  ROTATOR_HEALTH_PORT: { default: '8080', allowed: 'a TCP port from 1 to 65535' },
  APPLICATIONINSIGHTS_CONNECTION_STRING: { allowed: 'an Application Insights connection string' },
  OTEL_EXPORTER_OTLP_ENDPOINT: { allowed: 'an http(s):// URL' },
  OTEL_EXPORTER_OTLP_PROTOCOL: {
    default: 'http/protobuf',
    allowed: 'http/protobuf (the Aspire dashboard, collectors) or http/json',
  },
  ROTATOR_TELEMETRY_STORAGE_DIR: {
    allowed:
      'an absolute path on a writable volume (default: $TMPDIR/rotator-telemetry; the image sets /var/lib/rotator/telemetry)',
  },
  ROTATOR_LOG_LEVEL: { default: 'info', allowed: 'fatal, error, warn, info, debug, trace or silent' },
  ROTATOR_GRAPH_URL: { default: 'https://graph.microsoft.com', allowed: 'an https:// URL' },
  ROTATOR_GRAPH_TOKEN: { allowed: 'a non-empty bearer token, only for a test Graph' },
  ROTATOR_AUTHORITY_HOST: { default: 'https://login.microsoftonline.com', allowed: 'an https:// URL' },
  AZURE_TENANT_ID: { allowed: 'the directory (tenant) id of the managed Entra applications and users' },
  ROTATOR_WORKER_CONCURRENCY: { default: '4', allowed: 'an integer from 1 to 256' },
  ROTATOR_RATE_LIMIT: {
    // Off: each vault's request budget (ROTATOR_VAULT_BUDGETS) keeps it under Key Vault's limits; a
    // cap on rotations started across all vaults is only an extra brake.
    default: 'off',
    allowed: 'off, or rotations/ISO-8601 duration, e.g. 8/PT1S (a cap over all vaults)',
  },
  ROTATOR_VAULT_BUDGETS: { allowed: VAULT_BUDGETS_ALLOWED },
  ROTATOR_MAX_ATTEMPTS: { default: '6', allowed: 'an integer from 1 to 50' },
  ROTATOR_REDIS_EVICTION_CHECK: { default: 'refuse', allowed: 'refuse or warn' },
  ROTATOR_RETRY_BACKOFF: {
    default: 'PT5S',
    allowed: 'a positive ISO-8601 duration: the first retry delay, doubled per attempt with jitter',
  },
  ROTATOR_SHUTDOWN_TIMEOUT: positiveDuration('PT30S'),
  ROTATOR_API_PORT: { allowed: 'a TCP port from 1 to 65535 (unset: no access API)' },
  ROTATOR_API_TLS_CERT_FILE: {
    allowed: 'a readable PEM certificate file, set together with ROTATOR_API_TLS_KEY_FILE',
  },
  ROTATOR_API_TLS_KEY_FILE: {
    allowed: 'a readable PEM key file, set together with ROTATOR_API_TLS_CERT_FILE',
  },
  ROTATOR_API_AUDIENCE: {
    allowed:
      "the access token audience (the rotator app's application ID URI or client id); required with ROTATOR_API_PORT",
  },
  ROTATOR_API_ISSUER: {
    allowed:
      'an https:// token issuer, e.g. https://login.microsoftonline.com/<tenant>/v2.0 (default from AZURE_TENANT_ID)',
  },
  ROTATOR_APPROVAL_TIMEOUT: positiveDuration('PT1H'),
  ROTATOR_ACCESS_MAX: { default: 'PT8H', allowed: 'a positive ISO-8601 duration of at most PT8H' },
  ROTATOR_API_URL: { allowed: 'the http(s):// URL of the access API, e.g. https://rotator.internal.example' },
  ROTATOR_API_SCOPE: { allowed: 'an OAuth scope, default {ROTATOR_API_AUDIENCE}/.default' },
  ROTATOR_API_TOKEN: { allowed: 'a bearer token sent as it is (automation, tests)' },
  ROTATOR_API_CA_FILE: { allowed: 'the path of a readable PEM file: an extra CA to trust for the API' },
  ROTATOR_AUDIT_WORKSPACE_ID: {
    allowed:
      "the Log Analytics workspace id (a GUID: the workspace's customerId) that holds the vaults' AuditEvent logs",
  },
  ROTATOR_LOGS_ENDPOINT: {
    default: 'https://api.loganalytics.io',
    allowed: 'an https:// URL: the Log Analytics query endpoint (the emulator prints it as logsUrl)',
  },
  ROTATOR_AUDIT_POLL: { default: 'PT1M', allowed: 'an ISO-8601 duration from PT1S to PT1H, such as PT1M' },
  ROTATOR_REDIS_PLAINTEXT_HOSTS: {
    allowed:
      'comma-separated host names where redis:// (no TLS) is accepted besides loopback, e.g. a compose network service',
  },
  ROTATOR_TARGET_POLICY: {
    allowed: 'the path of a readable target policy file (JSON or YAML, see "Target policy" in the README)',
  },
} as const satisfies Record<string, { default?: string; allowed: string }>;

type VariableName = keyof typeof VARIABLES;
export const CONFIG_VARIABLES = Object.keys(VARIABLES) as VariableName[];

function read(env: Environment, name: VariableName): string | undefined {
  const raw = env[name];
  if (raw !== undefined && raw.trim() !== '') return raw.trim();
  const spec: { allowed: string; default?: string } = VARIABLES[name];
  return spec.default;
}

/** Connection strings may carry passwords: never echo one back. */
function shown(name: VariableName, value: string): string {
  // By structure (everything up to the last '@'): a key such as `123/abc` parses as a host and port.
  if (name === 'REDIS_URL') return maskUrlCredentials(value);
  if (
    name === 'ROTATOR_VAULT_TOKEN' ||
    name === 'ROTATOR_API_TOKEN' ||
    name === 'ROTATOR_GRAPH_TOKEN' ||
    name === 'APPLICATIONINSIGHTS_CONNECTION_STRING'
  )
    return '***';
  return value;
}

function invalid(name: VariableName, value: string, reason?: string): RotatorError {
  const why = reason === undefined ? '' : ` (${reason})`;
  return new RotatorError('CONFIG_INVALID', `${name}='${shown(name, value)}' is invalid${why}`, {
    hint: `set ${name} to ${VARIABLES[name].allowed}`,
    exitCode: 2,
  });
}

function duration(env: Environment, name: VariableName, max?: ParsedDuration): ParsedDuration {
  const raw = read(env, name) as string;
  const parsed = parseIsoDuration(raw);
  if (parsed === undefined) throw invalid(name, raw, 'not a positive ISO-8601 duration');
  if (max !== undefined && parsed.ms > max.ms) throw invalid(name, raw, `longer than ${max.iso}`);
  return parsed;
}

const httpsUrl = z.url({ protocol: /^https$/ });
const httpUrl = z.url({ protocol: /^https?$/ });

function vaultUrls(env: Environment): string[] {
  const raw = read(env, 'ROTATOR_VAULT_URL');
  if (raw === undefined) return [];
  const urls = raw.split(',').map((u) => u.trim().replace(/\/+$/, ''));
  for (const url of urls) {
    if (!httpsUrl.safeParse(url).success)
      throw invalid('ROTATOR_VAULT_URL', raw, `'${url}' is not an https URL`);
  }
  return [...new Set(urls.map((u) => u.toLowerCase()))].map(
    (lower) => urls.find((u) => u.toLowerCase() === lower) as string,
  );
}

/**
 * `rediss://` everywhere but loopback: the Redis key and every job cross the network otherwise. A
 * password must be URL-encoded (a raw `/`, `@` or `#` would move the host); the error never shows it.
 */
function checkRedisUrl(raw: string, plaintextHosts: readonly string[]): void {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw invalid(
      'REDIS_URL',
      raw,
      'not a URL; URL-encode the password (encodeURIComponent, uriComponent() in Bicep)',
    );
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:')
    throw invalid('REDIS_URL', raw, 'not redis:// or rediss://');
  if (url.hostname === '') throw invalid('REDIS_URL', raw, 'no host');
  if (
    url.protocol === 'redis:' &&
    !isLoopback(url.hostname) &&
    !plaintextHosts.includes(url.hostname.toLowerCase())
  ) {
    throw invalid(
      'REDIS_URL',
      raw,
      `redis:// sends the key and the jobs in cleartext to ${url.hostname}; use rediss://`,
    );
  }
}

function integer(env: Environment, name: VariableName, min: number, max: number): number {
  const raw = read(env, name) as string;
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || value < min || value > max) throw invalid(name, raw);
  return value;
}

function rateLimit(env: Environment): Config['rateLimit'] {
  const raw = read(env, 'ROTATOR_RATE_LIMIT') as string;
  if (raw === 'off') return undefined;
  const match = /^(\d+)\/(.+)$/.exec(raw);
  const max = Number(match?.[1]);
  const per = match === null ? undefined : parseIsoDuration(match[2] as string);
  if (per === undefined || !(max >= 1)) throw invalid('ROTATOR_RATE_LIMIT', raw);
  return { max, per };
}

function optional(env: Environment, name: VariableName, schema?: z.ZodType<string>): string | undefined {
  const raw = read(env, name);
  if (raw === undefined) return undefined;
  if (schema !== undefined && !schema.safeParse(raw).success) throw invalid(name, raw);
  return raw;
}

function otlpProtocol(env: Environment): Config['otlpProtocol'] {
  const raw = read(env, 'OTEL_EXPORTER_OTLP_PROTOCOL') as string;
  if (raw !== 'http/protobuf' && raw !== 'http/json') throw invalid('OTEL_EXPORTER_OTLP_PROTOCOL', raw);
  return raw;
}

function storageDir(env: Environment): string {
  const raw = read(env, 'ROTATOR_TELEMETRY_STORAGE_DIR') ?? join(tmpdir(), 'rotator-telemetry');
  if (!raw.startsWith('/')) throw invalid('ROTATOR_TELEMETRY_STORAGE_DIR', raw, 'not an absolute path');
  return raw;
}

function evictionCheck(env: Environment): Config['evictionPolicyCheck'] {
  const raw = read(env, 'ROTATOR_REDIS_EVICTION_CHECK') as string;
  if (raw !== 'refuse' && raw !== 'warn') throw invalid('ROTATOR_REDIS_EVICTION_CHECK', raw);
  return raw;
}

function existingFile(env: Environment, name: VariableName): string | undefined {
  const path = optional(env, name);
  if (path !== undefined && !existsSync(path)) throw invalid(name, path, 'no such file');
  return path;
}

function port(env: Environment, name: VariableName): number | undefined {
  const text = read(env, name);
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!/^\d+$/.test(text) || value < 1 || value > 65535) throw invalid(name, text);
  return value;
}

function accessConfig(env: Environment, tenantId: string | undefined): AccessConfig {
  const apiPort = port(env, 'ROTATOR_API_PORT');
  const certFile = existingFile(env, 'ROTATOR_API_TLS_CERT_FILE');
  const keyFile = existingFile(env, 'ROTATOR_API_TLS_KEY_FILE');
  if ((certFile === undefined) !== (keyFile === undefined)) {
    const [name, value] =
      certFile === undefined
        ? (['ROTATOR_API_TLS_KEY_FILE', keyFile] as const)
        : (['ROTATOR_API_TLS_CERT_FILE', certFile] as const);
    throw invalid(name, value ?? '', 'the certificate and the key must be set together');
  }
  const audience = optional(env, 'ROTATOR_API_AUDIENCE');
  if (apiPort !== undefined && audience === undefined)
    throw invalid('ROTATOR_API_AUDIENCE', '', 'required when ROTATOR_API_PORT is set');
  const issuer =
    optional(env, 'ROTATOR_API_ISSUER', httpsUrl) ??
    (tenantId === undefined ? undefined : `https://login.microsoftonline.com/${tenantId}/v2.0`);
  if (apiPort !== undefined && issuer === undefined)
    throw invalid('ROTATOR_API_ISSUER', '', 'set it, or AZURE_TENANT_ID for the Entra default');
  return {
    apiPort,
    tls: certFile !== undefined && keyFile !== undefined ? { certFile, keyFile } : undefined,
    audience,
    issuer,
    approvalTimeout: duration(env, 'ROTATOR_APPROVAL_TIMEOUT'),
    accessMax: duration(env, 'ROTATOR_ACCESS_MAX', MAX_ACCESS),
    apiUrl: optional(env, 'ROTATOR_API_URL', httpUrl)?.replace(/\/+$/, ''),
    apiScope:
      optional(env, 'ROTATOR_API_SCOPE') ??
      (audience === undefined ? undefined : `${audience.replace(/\/+$/, '')}/.default`),
    apiToken: optional(env, 'ROTATOR_API_TOKEN'),
    apiCaFile: existingFile(env, 'ROTATOR_API_CA_FILE'),
  };
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const MAX_AUDIT_POLL = parseIsoDuration('PT1H') as ParsedDuration;

function auditWatch(env: Environment): AuditWatchConfig {
  const workspaceId = optional(env, 'ROTATOR_AUDIT_WORKSPACE_ID');
  if (workspaceId !== undefined && !GUID.test(workspaceId))
    throw invalid('ROTATOR_AUDIT_WORKSPACE_ID', workspaceId, 'not a GUID');
  const poll = duration(env, 'ROTATOR_AUDIT_POLL', MAX_AUDIT_POLL);
  if (poll.ms < 1_000) throw invalid('ROTATOR_AUDIT_POLL', poll.iso, 'shorter than PT1S');
  return {
    workspaceId,
    logsEndpoint: (optional(env, 'ROTATOR_LOGS_ENDPOINT', httpsUrl) as string).replace(/\/+$/, ''),
    poll,
  };
}

function vaultBudgets(env: Environment, vaultUrls: readonly string[]): Config['vaultBudgets'] {
  const raw = read(env, 'ROTATOR_VAULT_BUDGETS');
  const parsed = parseVaultBudgets(raw, vaultUrls);
  if (!parsed.ok) throw invalid('ROTATOR_VAULT_BUDGETS', raw ?? '', parsed.reason);
  return parsed.limits;
}

/** Reads and validates the environment once; throws a CONFIG_INVALID RotatorError (exit 2) on the first bad value. */
export function loadConfig(env: Environment): Config {
  const caFile = optional(env, 'ROTATOR_VAULT_CA_FILE');
  if (caFile !== undefined && !existsSync(caFile))
    throw invalid('ROTATOR_VAULT_CA_FILE', caFile, 'no such file');
  const redis = read(env, 'REDIS_URL') as string;
  const plaintextHosts = (read(env, 'ROTATOR_REDIS_PLAINTEXT_HOSTS') ?? '')
    .split(',')
    .map((h) => h.trim().toLowerCase())
    .filter((h) => h !== '');
  checkRedisUrl(redis, plaintextHosts);
  const prefix = read(env, 'ROTATOR_QUEUE_PREFIX') as string;
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(prefix)) throw invalid('ROTATOR_QUEUE_PREFIX', prefix);
  const portText = read(env, 'ROTATOR_HEALTH_PORT') as string;
  const port = Number(portText);
  if (!/^\d+$/.test(portText) || port < 1 || port > 65535) throw invalid('ROTATOR_HEALTH_PORT', portText);
  const logLevel = read(env, 'ROTATOR_LOG_LEVEL') as string;
  const levels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
  const level = levels.find((l) => l === logLevel);
  if (level === undefined) throw invalid('ROTATOR_LOG_LEVEL', logLevel);
  const policyFile = optional(env, 'ROTATOR_TARGET_POLICY');
  const vaults = vaultUrls(env);

  return {
    vaultUrls: vaults,
    vaultCaFile: caFile,
    vaultToken: optional(env, 'ROTATOR_VAULT_TOKEN'),
    redisUrl: redis,
    queuePrefix: prefix,
    rotationInterval: duration(env, 'ROTATOR_ROTATION_INTERVAL'),
    usageGrace: duration(env, 'ROTATOR_USAGE_GRACE', MAX_USAGE_GRACE),
    sweepInterval: duration(env, 'ROTATOR_SWEEP_INTERVAL'),
    healthPort: port,
    appInsightsConnectionString: optional(env, 'APPLICATIONINSIGHTS_CONNECTION_STRING'),
    otlpEndpoint: optional(env, 'OTEL_EXPORTER_OTLP_ENDPOINT', httpUrl),
    otlpProtocol: otlpProtocol(env),
    telemetryStorageDir: storageDir(env),
    logLevel: level,
    graphUrl: (optional(env, 'ROTATOR_GRAPH_URL', httpsUrl) as string).replace(/\/+$/, ''),
    graphToken: optional(env, 'ROTATOR_GRAPH_TOKEN'),
    authorityHost: (optional(env, 'ROTATOR_AUTHORITY_HOST', httpsUrl) as string).replace(/\/+$/, ''),
    tenantId: optional(env, 'AZURE_TENANT_ID'),
    workerConcurrency: integer(env, 'ROTATOR_WORKER_CONCURRENCY', 1, 256),
    rateLimit: rateLimit(env),
    vaultBudgets: vaultBudgets(env, vaults),
    maxAttempts: integer(env, 'ROTATOR_MAX_ATTEMPTS', 1, 50),
    evictionPolicyCheck: evictionCheck(env),
    retryBackoff: duration(env, 'ROTATOR_RETRY_BACKOFF'),
    shutdownTimeout: duration(env, 'ROTATOR_SHUTDOWN_TIMEOUT'),
    access: accessConfig(env, optional(env, 'AZURE_TENANT_ID')),
    audit: auditWatch(env),
    targetPolicyFile: policyFile,
    targetPolicy: policyFile === undefined ? undefined : loadTargetPolicy(policyFile),
  };
}
