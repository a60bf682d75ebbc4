import { ClientSecretCredential, type ClientSecretCredentialOptions } from '@azure/identity';
import type { AppliedCredential, RotationTarget, TargetContext, VerifyOutcome } from '../../rotation';
import { TAG } from '../../tags';
import { entraTokenEndpoint, GRAPH_SCOPE, type GraphApi } from '../graph';
import { requiredTag } from '../target-tags';
import { ENTRA_APP_POLICY } from './policy';

const KEY_ID_TAG = TAG.keyId;
/** Names the passwords this rotator added, so retire removes ours and never an operator's. */
const DISPLAY_NAME_PREFIX = 'rotator:';

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

/** Rotates an Entra application password: Graph generates the value; the old one goes only in retire. */
export function createEntraAppTarget(options: EntraAppTargetOptions): RotationTarget {
  const { authorityHost, endpoint } = entraTokenEndpoint(options.authorityHost, options.tenantId);
  const windowMs = options.verifyWindowMs ?? 60_000;
  const intervalMs = options.verifyIntervalMs ?? 1_000;

  async function signIn(appId: string, value: string): Promise<VerifyOutcome> {
    const credential = new ClientSecretCredential(options.tenantId, appId, value, {
      ...options.credentialOptions,
      authorityHost,
      disableInstanceDiscovery: true,
    });
    try {
      await credential.getToken(GRAPH_SCOPE);
      return { accepted: true };
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      const code = /AADSTS\d+/.exec(message)?.[0];
      const reason = code === undefined ? 'token request failed' : `token request rejected (${code})`;
      return { accepted: false, reason, endpoint };
    }
  }

  return {
    kind: 'entra-app',
    policy: ENTRA_APP_POLICY,
    external: true,
    requiredTags: [TAG.account],

    async apply(ctx: TargetContext): Promise<AppliedCredential> {
      const added = await options.graph.addPassword(account(ctx), `${DISPLAY_NAME_PREFIX}${ctx.rotationId}`);
      return { value: added.secretText, tags: { [KEY_ID_TAG]: added.keyId } };
    },

    async verify(ctx: TargetContext, value: string): Promise<VerifyOutcome> {
      const { appId } = await options.graph.listPasswords(account(ctx));
      const deadline = Date.now() + windowMs;
      for (;;) {
        const outcome = await signIn(appId, value);
        if (outcome.accepted || Date.now() + intervalMs > deadline) return outcome;
        await sleep(intervalMs);
      }
    },

    /** One sign-in: how the engine proves that a wrong secret is refused (no replication wait). */
    async verifyOnce(ctx: TargetContext, value: string): Promise<VerifyOutcome> {
      const { appId } = await options.graph.listPasswords(account(ctx));
      return signIn(appId, value);
    },

    async retire(ctx, previousTags, committed): Promise<void> {
      const appObjectId = account(ctx);
      const keep = committed.tags[KEY_ID_TAG];
      const remove = new Set<string>();
      const previous = previousTags[KEY_ID_TAG];
      if (previous !== undefined && previous !== keep) remove.add(previous);
      const { passwordCredentials } = await options.graph.listPasswords(appObjectId);
      for (const c of passwordCredentials) {
        if (c.keyId !== keep && (c.displayName ?? '').startsWith(DISPLAY_NAME_PREFIX)) remove.add(c.keyId);
      }
      for (const keyId of remove) await options.graph.removePassword(appObjectId, keyId);
    },
  };
}
