import type { ClientSecretCredentialOptions } from '@azure/identity';
import type { AppliedCredential, RotationTarget, TargetContext, VerifyOutcome } from '../../rotation';
import { TAG } from '../../tags';
import { entraTokenEndpoint, type GraphApi } from '../graph';
import { requiredTag } from '../target-tags';
import { ENTRA_APP_POLICY } from './policy';
import { proveRetired } from './prove-retired';
import { tokenRefusal } from './token-refusal';

const KEY_ID_TAG = TAG.keyId;
/** Names the passwords this rotator added, so retire removes ours and never an operator's. */
const DISPLAY_NAME_PREFIX = 'rotator:';
/** Consumers of App Service and Functions Key Vault references refresh within a day. */
export const ENTRA_APP_OVERLAP_DEFAULT_MS = 24 * 3600 * 1000;

/**
 * A client secret ends one missed rotation after its overlap would: the next scheduled rotation
 * replaces it long before, and a secret the rotator lost track of still dies on its own.
 */
export function secretEnd(now: number, schedule: TargetContext['schedule']): Date | undefined {
  if (schedule === undefined || schedule.intervalMs <= 0) return undefined;
  return new Date(now + 2 * schedule.intervalMs + schedule.overlapMs);
}

interface EntraAppTargetOptions {
  graph: GraphApi;
  tenantId: string;
  authorityHost?: string;
  /** How long verify keeps retrying while a new secret replicates (default 60 s). */
  verifyWindowMs?: number;
  verifyIntervalMs?: number;
  /** Extra credential options (e.g. additionalPolicies trusting a private CA in tests). */
  credentialOptions?: ClientSecretCredentialOptions;
}

function account(ctx: TargetContext): string {
  return requiredTag(ctx, TAG.account, `Set ${TAG.account} to the application object id`);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Removes the previous password and any other this rotator added, never the committed one. */
async function removeOldPasswords(
  graph: GraphApi,
  appObjectId: string,
  previousKeyId: string | undefined,
  keep: string | undefined,
): Promise<void> {
  const remove = new Set<string>();
  if (previousKeyId !== undefined && previousKeyId !== keep) remove.add(previousKeyId);
  const { passwordCredentials } = await graph.listPasswords(appObjectId);
  for (const c of passwordCredentials) {
    if (c.keyId !== keep && (c.displayName ?? '').startsWith(DISPLAY_NAME_PREFIX)) remove.add(c.keyId);
  }
  for (const keyId of remove) await graph.removePassword(appObjectId, keyId);
}

/** Rotates an Entra application password: Graph generates the value; the old one goes only in retire. */
export function createEntraAppTarget(options: EntraAppTargetOptions): RotationTarget {
  const { authorityHost, endpoint } = entraTokenEndpoint(options.authorityHost, options.tenantId);
  const windowMs = options.verifyWindowMs ?? 60_000;
  const intervalMs = options.verifyIntervalMs ?? 1_000;
  const refusal = tokenRefusal(options.tenantId, authorityHost, options.credentialOptions);
  const graph = options.graph;

  return {
    kind: 'entra-app',
    overlapDefaultMs: ENTRA_APP_OVERLAP_DEFAULT_MS,
    policy: ENTRA_APP_POLICY,
    external: true,
    requiredTags: [TAG.account],

    async apply(ctx: TargetContext): Promise<AppliedCredential> {
      const name = `${DISPLAY_NAME_PREFIX}${ctx.rotationId}`;
      const added = await graph.addPassword(account(ctx), name, secretEnd(Date.now(), ctx.schedule));
      return { value: added.secretText, tags: { [KEY_ID_TAG]: added.keyId } };
    },

    async verify(ctx: TargetContext, value: string): Promise<VerifyOutcome> {
      const { appId } = await graph.listPasswords(account(ctx));
      const deadline = Date.now() + windowMs;
      for (;;) {
        const refused = await refusal(appId, value);
        if (refused === undefined) return { accepted: true };
        if (Date.now() + intervalMs > deadline) return { accepted: false, reason: refused, endpoint };
        await sleep(intervalMs);
      }
    },

    /** One sign-in: how the engine proves that a wrong secret is refused (no replication wait). */
    async verifyOnce(ctx: TargetContext, value: string): Promise<VerifyOutcome> {
      const { appId } = await graph.listPasswords(account(ctx));
      const refused = await refusal(appId, value);
      return refused === undefined ? { accepted: true } : { accepted: false, reason: refused, endpoint };
    },

    prove: (ctx, retired) => proveRetired(graph, refusal, endpoint, account(ctx), retired),

    retire: (ctx, previousTags, committed) =>
      removeOldPasswords(graph, account(ctx), previousTags[KEY_ID_TAG], committed.tags[KEY_ID_TAG]),
  };
}
