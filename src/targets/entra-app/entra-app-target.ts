import { ClientSecretCredential, type ClientSecretCredentialOptions } from '@azure/identity';
import type {
  AppliedCredential,
  ProofOutcome,
  RotationTarget,
  TargetContext,
  VerifyOutcome,
} from '../../rotation';
import { TAG } from '../../tags';
import { entraTokenEndpoint, GRAPH_SCOPE, type GraphApi } from '../graph';
import { VALUE_GONE } from '../prove-refused';
import { requiredTag } from '../target-tags';
import { ENTRA_APP_POLICY } from './policy';

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

/** Rotates an Entra application password: Graph generates the value; the old one goes only in retire. */
export function createEntraAppTarget(options: EntraAppTargetOptions): RotationTarget {
  const { authorityHost, endpoint } = entraTokenEndpoint(options.authorityHost, options.tenantId);
  const windowMs = options.verifyWindowMs ?? 60_000;
  const intervalMs = options.verifyIntervalMs ?? 1_000;

  /** One token request with the secret: undefined when it gets a token, else why it was refused. */
  async function tokenRefusal(appId: string, value: string): Promise<string | undefined> {
    const credential = new ClientSecretCredential(options.tenantId, appId, value, {
      ...options.credentialOptions,
      authorityHost,
      disableInstanceDiscovery: true,
    });
    try {
      await credential.getToken(GRAPH_SCOPE);
      return undefined;
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      const code = /AADSTS\d+/.exec(message)?.[0];
      return code === undefined ? 'token request failed' : `token request rejected (${code})`;
    }
  }

  return {
    kind: 'entra-app',
    overlapDefaultMs: ENTRA_APP_OVERLAP_DEFAULT_MS,
    policy: ENTRA_APP_POLICY,
    external: true,
    requiredTags: [TAG.account],

    async apply(ctx: TargetContext): Promise<AppliedCredential> {
      const added = await options.graph.addPassword(
        account(ctx),
        `${DISPLAY_NAME_PREFIX}${ctx.rotationId}`,
        secretEnd(Date.now(), ctx.schedule),
      );
      return { value: added.secretText, tags: { [KEY_ID_TAG]: added.keyId } };
    },

    async verify(ctx: TargetContext, value: string): Promise<VerifyOutcome> {
      const { appId } = await options.graph.listPasswords(account(ctx));
      const deadline = Date.now() + windowMs;
      for (;;) {
        const refused = await tokenRefusal(appId, value);
        if (refused === undefined) return { accepted: true };
        if (Date.now() + intervalMs > deadline) return { accepted: false, reason: refused, endpoint };
        await sleep(intervalMs);
      }
    },

    /** One sign-in: how the engine proves that a wrong secret is refused (no replication wait). */
    async verifyOnce(ctx: TargetContext, value: string): Promise<VerifyOutcome> {
      const { appId } = await options.graph.listPasswords(account(ctx));
      const refused = await tokenRefusal(appId, value);
      return refused === undefined ? { accepted: true } : { accepted: false, reason: refused, endpoint };
    },

    /** Proof: the key id is gone from the application, and the old secret gets no token. */
    async prove(ctx: TargetContext, retired): Promise<ProofOutcome> {
      const keyId = retired.tags[KEY_ID_TAG];
      const { appId, passwordCredentials } = await options.graph.listPasswords(account(ctx));
      if (keyId !== undefined && passwordCredentials.some((c) => c.keyId === keyId)) {
        return { proven: false, reason: `key id ${keyId} is still on the application`, check: 'key id' };
      }
      const gone = keyId === undefined ? 'no key id recorded' : `key id ${keyId} gone`;
      if (retired.value === undefined) return { proven: false, reason: VALUE_GONE, check: gone };
      const refused = await tokenRefusal(appId, retired.value);
      if (refused === undefined) {
        return {
          proven: false,
          reason: 'a token request with the retired secret still succeeds',
          check: gone,
        };
      }
      if (!refused.includes('AADSTS')) {
        return { proven: false, reason: `the token endpoint gave no verdict (${refused})`, check: gone };
      }
      return { proven: true, check: `${gone}; token request at ${endpoint} ${refused}` };
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
