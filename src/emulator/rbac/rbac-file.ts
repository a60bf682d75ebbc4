import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { RotatorError } from '../../errors';

export const ROLES = ['Key Vault Secrets User', 'Key Vault Secrets Officer'] as const;
export type RoleName = (typeof ROLES)[number];

/** Key Vault's resource (audience) and its first-party application id: the two forms of `aud` it accepts. */
export const DEFAULT_AUDIENCES = ['https://vault.azure.net', 'cfa8b339-82a2-471a-a3c9-0fc0be7a4093'];

export interface RoleAssignment {
  principalId: string;
  role: RoleName;
  /** undefined = the whole vault; otherwise the one secret (lower-cased: names are case-insensitive). */
  secret: string | undefined;
}

/** What `rotator emulator --rbac FILE` enforces, compiled once at start. */
export interface RbacPolicy {
  /** Where the signing keys are discovered (`{issuer}/.well-known/openid-configuration`). */
  issuer: string;
  /** Every `iss` value accepted: the issuer and, for example, its v1 form `https://sts.windows.net/{tid}/`. */
  issuers: string[];
  audiences: string[];
  /** PEM of a CA to trust for the issuer's HTTPS, read from `caFile`. */
  caPem: string | undefined;
  assignments: RoleAssignment[];
}

const SECRET_SCOPE = /^secrets\/([0-9a-zA-Z-]{1,127})$/;

const fileSchema = z
  .object({
    issuer: z.url({ protocol: /^https?$/ }),
    issuers: z.array(z.string().min(1)).optional(),
    caFile: z.string().min(1).optional(),
    audiences: z.array(z.string().min(1)).min(1).optional(),
    assignments: z.array(
      z
        .object({
          principalId: z.string().min(1),
          role: z.enum(ROLES),
          scope: z.string().refine((s) => s === 'vault' || SECRET_SCOPE.test(s), {
            message: 'scope must be "vault" or "secrets/<name>"',
          }),
        })
        .strict(),
    ),
  })
  .strict();

function invalid(file: string, problem: string): RotatorError {
  return new RotatorError('USAGE_INVALID', `the rbac file ${file} is invalid: ${problem}`, {
    hint: 'fix the file: {"issuer":"https://…/v2.0","caFile"?:"…","audiences"?:[…],"assignments":[{"principalId":"<oid>","role":"Key Vault Secrets User"|"Key Vault Secrets Officer","scope":"vault"|"secrets/<name>"}]}',
    exitCode: 2,
  });
}

function parseText(file: string, text: string): unknown {
  try {
    return /\.ya?ml$/i.test(file) ? (parseYaml(text) as unknown) : (JSON.parse(text) as unknown);
  } catch (err) {
    throw invalid(
      file,
      `not valid ${/\.ya?ml$/i.test(file) ? 'YAML' : 'JSON'} (${(err as Error).message.split('\n')[0]})`,
    );
  }
}

/** Reads and validates an rbac file; any problem is one RotatorError (exit 2) naming the file and the field. */
export function loadRbacPolicy(file: string): RbacPolicy {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw invalid(file, `cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  const parsed = fileSchema.safeParse(parseText(file, text));
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.join('.') || '(top level)';
    throw invalid(file, `${where}: ${issue?.message ?? 'unexpected content'}`);
  }
  const f = parsed.data;
  let caPem: string | undefined;
  if (f.caFile !== undefined) {
    const caPath = resolve(dirname(file), f.caFile);
    try {
      caPem = readFileSync(caPath, 'utf8');
    } catch (err) {
      throw invalid(
        file,
        `caFile ${caPath} cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})`,
      );
    }
    if (!caPem.includes('-----BEGIN CERTIFICATE-----'))
      throw invalid(file, `caFile ${caPath} holds no PEM certificate`);
  }
  return {
    issuer: f.issuer,
    issuers: [f.issuer, ...(f.issuers ?? [])],
    audiences: f.audiences ?? DEFAULT_AUDIENCES,
    caPem,
    assignments: f.assignments.map((a) => ({
      principalId: a.principalId,
      role: a.role,
      secret: a.scope === 'vault' ? undefined : SECRET_SCOPE.exec(a.scope)?.[1]?.toLowerCase(),
    })),
  };
}
