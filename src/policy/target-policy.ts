import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { RotatorError } from '../errors';

/**
 * The operator-owned limit of the daemon's power over external systems. Secret tags choose among what
 * this file allows; they never widen it. Whoever can write a secret's tags cannot point the daemon at
 * an account, a server or an admin connection the operator did not name here.
 */
export const SSL_MODES = ['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full'] as const;
export type SslMode = (typeof SSL_MODES)[number];

const nonEmpty = z.string().trim().min(1);
const objectId = z
  .string()
  .trim()
  .regex(/^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/, {
    message: 'must be an Entra object id (a GUID)',
  })
  .transform((id) => id.toLowerCase());

const connectionRef = z.strictObject({
  /** The vault's URL, e.g. https://admin-vault.vault.azure.net */
  vault: z.url({ protocol: /^https$/ }).transform((u) => u.replace(/\/+$/, '').toLowerCase()),
  secret: z.string().regex(/^[0-9a-zA-Z-]{1,127}$/, { message: 'must be a Key Vault secret name' }),
});

const postgresServer = z
  .strictObject({
    host: nonEmpty.transform((h) => h.toLowerCase()),
    port: z.number().int().min(1).max(65535).default(5432),
    /** The TLS modes a connection to this server may name; verify-full unless the operator allows less. */
    sslmodes: z.array(z.enum(SSL_MODES)).min(1).default(['verify-full']),
    /** Role names the daemon may rotate on this server. */
    roles: z.array(nonEmpty).default([]),
    /** Group roles: a role that belongs to one of them (directly or through others) may be rotated. */
    memberOf: z.array(nonEmpty).default([]),
    /** The secrets that may serve as this server's admin connection. */
    connections: z.array(connectionRef).min(1),
  })
  .refine((s) => s.roles.length + s.memberOf.length > 0, {
    message: 'names no roles and no memberOf group role: nothing on it could be rotated',
  });

export const targetPolicySchema = z.strictObject({
  version: z.literal(1),
  postgres: z.strictObject({ servers: z.array(postgresServer).default([]) }).optional(),
  'entra-app': z.strictObject({ applications: z.array(objectId).default([]) }).optional(),
  'entra-user': z
    .strictObject({
      users: z.array(objectId).default([]),
      groups: z.array(objectId).default([]),
      administrativeUnits: z.array(objectId).default([]),
    })
    .optional(),
});

export type TargetPolicy = z.infer<typeof targetPolicySchema>;
export type PostgresServerPolicy = TargetPolicy extends { postgres?: { servers: (infer S)[] } } ? S : never;
export type EntraUserPolicy = NonNullable<TargetPolicy['entra-user']>;

function policyError(file: string, problem: string): RotatorError {
  return new RotatorError('CONFIG_INVALID', `ROTATOR_TARGET_POLICY: ${file} ${problem}`, {
    hint: 'fix the file (JSON or YAML, see "Target policy" in the README), or unset ROTATOR_TARGET_POLICY to refuse every external target',
    exitCode: 2,
  });
}

function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((issue) => `${issue.path.join('.') || '(top)'}: ${issue.message}`)
    .join('; ');
}

/** Parses the text of a policy file; `file` only names it in errors. */
export function parseTargetPolicy(text: string, file: string): TargetPolicy {
  let raw: unknown;
  try {
    // YAML is a superset of JSON, so one parser reads both; duplicate keys are an error.
    raw = parseYaml(text, { uniqueKeys: true, prettyErrors: false });
  } catch (error) {
    const why = error instanceof Error ? error.message.split('\n')[0] : 'unreadable';
    throw policyError(file, `is neither valid JSON nor YAML (${why ?? 'parse error'})`);
  }
  const parsed = targetPolicySchema.safeParse(raw);
  if (!parsed.success) throw policyError(file, `is invalid: ${describeIssues(parsed.error)}`);
  return parsed.data;
}

/** Reads and validates the policy at start: a missing, unreadable or invalid file stops the program. */
export function loadTargetPolicy(file: string): TargetPolicy {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    throw policyError(
      file,
      code === 'ENOENT' ? 'does not exist' : `cannot be read (${typeof code === 'string' ? code : 'error'})`,
    );
  }
  return parseTargetPolicy(text, file);
}

/** The vaults that hold admin connections the policy names, apart from the managed vaults. */
export function connectionVaults(config: {
  targetPolicy: TargetPolicy | undefined;
  vaultUrls: readonly string[];
}): string[] {
  const managed = new Set(config.vaultUrls.map((u) => u.replace(/\/+$/, '').toLowerCase()));
  const named = (config.targetPolicy?.postgres?.servers ?? []).flatMap((s) =>
    s.connections.map((c) => c.vault),
  );
  return [...new Set(named)].filter((url) => !managed.has(url));
}
