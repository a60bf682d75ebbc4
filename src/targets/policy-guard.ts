import { POLICY_HINT, refusedByPolicy, type TargetPolicy } from '../policy';
import type { DirectoryMembership } from './graph/directory-membership';
import type { RetiredCredential, RotationTarget, TargetContext } from '../rotation';

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function accountTag(ctx: TargetContext): string {
  return (ctx.tags['rotation-account'] ?? '').trim();
}

function noPolicy(ctx: TargetContext, kind: string): Error {
  return refusedByPolicy(
    ctx.secretName,
    `no target policy allows ${kind} targets, so the daemon may not act on ${accountTag(ctx) || 'its account'}`,
    `set ROTATOR_TARGET_POLICY to a policy that names the account; ${POLICY_HINT}`,
  );
}

function authorizeEntraApp(ctx: TargetContext, policy: TargetPolicy | undefined): Promise<void> {
  if (policy?.['entra-app'] === undefined) return Promise.reject(noPolicy(ctx, 'entra-app'));
  const account = accountTag(ctx).toLowerCase();
  if (!policy['entra-app'].applications.includes(account)) {
    return Promise.reject(
      refusedByPolicy(
        ctx.secretName,
        `application ${account} is not one the target policy names under entra-app.applications`,
        POLICY_HINT,
      ),
    );
  }
  return Promise.resolve();
}

async function authorizeEntraUser(
  ctx: TargetContext,
  policy: TargetPolicy | undefined,
  directory: (() => DirectoryMembership) | undefined,
): Promise<void> {
  const users = policy?.['entra-user'];
  if (users === undefined) throw noPolicy(ctx, 'entra-user');
  const account = accountTag(ctx);
  if (GUID.test(account) && users.users.includes(account.toLowerCase())) return;
  const reachable =
    users.groups.length + users.administrativeUnits.length + (GUID.test(account) ? 0 : users.users.length);
  const refuse = (why: string): Error =>
    refusedByPolicy(ctx.secretName, `user ${account} ${why}`, POLICY_HINT);
  if (reachable === 0 || directory === undefined) {
    throw refuse('is not one the target policy names under entra-user.users');
  }
  const graph = directory();
  const id = GUID.test(account) ? account.toLowerCase() : await graph.userObjectId(account);
  if (id === undefined) throw refuse('does not exist in the directory');
  if (users.users.includes(id)) return;
  if ((await graph.memberGroups(id, users.groups)).length > 0) return;
  for (const unit of users.administrativeUnits) {
    if (await graph.inAdministrativeUnit(id, unit)) return;
  }
  throw refuse(
    'is neither named by the target policy nor a member of a group or administrative unit it names',
  );
}

/**
 * Wraps an Entra target so that every call first checks its account against the target policy:
 * tags choose the account, the policy decides whether the daemon may touch it. Checked once per
 * rotation context (recovery and the rotation each have theirs), before anything else happens.
 */
export function guardEntraTarget(
  target: RotationTarget,
  policy: TargetPolicy | undefined,
  directory?: () => DirectoryMembership,
): RotationTarget {
  const checked = new WeakMap<TargetContext, Promise<void>>();
  const authorize = (ctx: TargetContext): Promise<void> => {
    let check = checked.get(ctx);
    if (check === undefined) {
      check =
        target.kind === 'entra-app'
          ? authorizeEntraApp(ctx, policy)
          : authorizeEntraUser(ctx, policy, directory);
      // A transient directory failure is not remembered: the next call asks again.
      check.catch(() => checked.delete(ctx));
      checked.set(ctx, check);
    }
    return check;
  };
  return {
    kind: target.kind,
    policy: target.policy,
    external: target.external,
    requiredTags: target.requiredTags,
    async precheck(ctx) {
      await authorize(ctx);
      await target.precheck?.(ctx);
    },
    async apply(ctx, value) {
      await authorize(ctx);
      return target.apply(ctx, value);
    },
    async verify(ctx, value) {
      await authorize(ctx);
      return target.verify(ctx, value);
    },
    async verifyOnce(ctx, value) {
      await authorize(ctx);
      return target.verifyOnce === undefined ? target.verify(ctx, value) : target.verifyOnce(ctx, value);
    },
    async retire(ctx, previousTags, committed) {
      await authorize(ctx);
      return target.retire(ctx, previousTags, committed);
    },
    ...(target.overlapDefaultMs === undefined ? {} : { overlapDefaultMs: target.overlapDefaultMs }),
    ...(target.prove === undefined
      ? {}
      : {
          prove: async (ctx: TargetContext, retired: RetiredCredential) => {
            await authorize(ctx);
            return target.prove!(ctx, retired);
          },
        }),
  };
}
