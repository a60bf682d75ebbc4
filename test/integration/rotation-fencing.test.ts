import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { DateTime } from 'luxon';
import { systemClock } from '../../src/clock';
import { startEmulator, type RunningEmulator } from '../../src/emulator';
import { isRotatorError } from '../../src/errors';
import { RedisRotationLock } from '../../src/locking';
import {
  pendingSecretName,
  rotateSecret,
  type RotationDeps,
  type RotationResult,
  type RotationStep,
  type RotationTarget,
  type VerifyOutcome,
} from '../../src/rotation';
import type { SecretStore } from '../../src/vault';
import { emulatorStore } from '../support/emulator';
import { FakePasswordTarget } from '../support/fake-password-target';
import { deleteKeys } from '../support/redis-scan';

/**
 * Replays of the interleavings SPIN found (model/rotation.pml, README "The protocol, proven") against
 * the real code: two rotation runs of one secret on a real Redis lock and the emulator, the lease lost
 * by deleting its Redis key (as a Redis loss does), each run paused and resumed at the steps the trail
 * names (onStep, and the target's and the vault's calls where the trail steps inside recovery).
 * Without the fencing, each replay ends with the target accepting a credential Key Vault does not hold
 * (or with a second rotation for one trigger).
 */

class SimulatedCrash extends Error {}

interface Gate {
  open(): void;
  wait(): Promise<void>;
}
function gate(): Gate {
  let open = (): void => undefined;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { open: () => open(), wait: () => opened };
}

interface RunHooks {
  onStep?(step: RotationStep): void | Promise<void>;
  /** After the run has read the pending record (and recovered), before it writes a new one. */
  precheck?(): Promise<void>;
  /** After the target answered, before the run sees the answer. */
  verify?(value: string, answer: VerifyOutcome): Promise<void>;
  /** Before the run reads a secret from the vault. */
  beforeGet?(name: string): Promise<void>;
}

describe('fencing: the interleavings the model checker found, replayed against the real code', () => {
  let emulator: RunningEmulator;
  let store: SecretStore;
  let redis: Redis;
  const prefix = `test-fencing-${randomUUID()}`;
  const target = new FakePasswordTarget();
  const initial = 'Initial-Passw0rd-xyz';

  /** One worker's view of the shared target, with this run's pause points. */
  function runTarget(hooks: RunHooks): RotationTarget {
    return {
      kind: target.kind,
      policy: target.policy,
      external: true,
      requiredTags: target.requiredTags,
      precheck: async () => hooks.precheck?.(),
      apply: (ctx, value) => target.apply(ctx, value),
      verify: async (ctx, value) => {
        const answer = await target.verify(ctx, value);
        await hooks.verify?.(value, answer);
        return answer;
      },
      retire: () => target.retire(),
    };
  }

  function runStore(hooks: RunHooks): SecretStore {
    return {
      vaultUrl: store.vaultUrl,
      get: async (name, version) => {
        await hooks.beforeGet?.(name);
        return store.get(name, version);
      },
      set: (name, value, options) => store.set(name, value, options),
      updateProperties: (name, version, update) => store.updateProperties(name, version, update),
      list: () => store.list(),
      listVersions: (name) => store.listVersions(name),
      ping: () => store.ping(),
    };
  }

  function run(name: string, triggeredAt: DateTime, hooks: RunHooks = {}): Promise<RotationResult> {
    const deps: RotationDeps = {
      store: runStore(hooks),
      target: (kind) => (kind === 'postgres' ? runTarget(hooks) : undefined),
      lock: new RedisRotationLock(redis, { prefix, leaseMs: 30_000 }),
      clock: systemClock,
      newRotationId: () => randomUUID(),
      verifyAttempts: 1,
      verifyDelayMs: 1,
      sleep: () => Promise.resolve(),
      onStep: async (step) => hooks.onStep?.(step),
    };
    return rotateSecret({ secretName: name, reason: 'manual', triggeredAt }, deps);
  }

  /** The lease is gone as when Redis is lost or it expired while its holder was slow. */
  async function loseLease(name: string): Promise<void> {
    await redis.del(`${prefix}:rotator-lock:${store.vaultUrl}|${name.toLowerCase()}`);
  }

  async function managed(name: string): Promise<void> {
    await store.set(name, initial, { tags: { 'rotation-target': 'postgres', 'rotation-account': name } });
    target.passwords.set(name, initial);
  }

  /**
   * The model's invariant: Key Vault's current version or the open pending record holds what the
   * target accepts. Then, after one more run (everything quiet), the current version holds it.
   */
  async function expectNothingLost(name: string): Promise<void> {
    const pending = await store.get(pendingSecretName(name));
    const open = pending?.tags['rotation-state'] === 'prepared' ? pending.value : undefined;
    expect([(await store.get(name))?.value, open]).toContain(target.passwords.get(name));
    await run(name, DateTime.utc().minus({ days: 1 }));
    expect(target.passwords.get(name)).toBe((await store.get(name))?.value);
    expect((await store.get(pendingSecretName(name)))?.tags['rotation-state']).not.toBe('prepared');
  }

  const codeOf = (outcome: PromiseSettledResult<RotationResult>): string =>
    outcome.status === 'rejected' && isRotatorError(outcome.reason) ? outcome.reason.code : outcome.status;

  beforeAll(async () => {
    emulator = await startEmulator({ port: 0 });
    store = emulatorStore(emulator, 't');
    redis = new Redis('redis://127.0.0.1:6379', { maxRetriesPerRequest: 1 });
  });
  afterAll(async () => {
    await deleteKeys(redis, `${prefix}:*`);
    await redis.quit();
    await emulator.close();
  });

  // Trail (-DLEGACY, the code before fencing; -DRECOVERY_UNCLAIMED): w2 locked, prepared; lease lost; w1 locked, reads the open record,
  // verifies pending (refused) and current (accepted); w2 applied, verified; w1 rolled back; both crash.
  it('a slow worker cannot apply a value after recovery judged its record not live', async () => {
    const name = 'fence-apply';
    await managed(name);
    const trigger = DateTime.utc();
    const aPrepared = gate();
    const resumeA = gate();
    const a = run(name, trigger, {
      onStep: async (step) => {
        if (step === 'prepared') {
          await loseLease(name);
          aPrepared.open();
          await resumeA.wait();
        }
        if (step === 'verified') throw new SimulatedCrash('w2 crashes before its commit');
      },
    });
    const aSettled = a.then(
      () => undefined,
      () => undefined,
    );
    await aPrepared.wait();
    const b = run(name, trigger, {
      verify: async (value) => {
        if (value !== initial) return;
        resumeA.open(); // w1 has its answer about the current value; w2 moves on before w1 acts on it
        await aSettled;
      },
      precheck: () => Promise.reject(new SimulatedCrash('w1 crashes after its recovery')),
    });
    const [ra, rb] = await Promise.allSettled([a, b]);
    await expectNothingLost(name);
    expect(codeOf(ra)).toBe('ROTATION_FENCED');
    expect(rb.status).toBe('rejected');
  });

  // Trail (-DCOMMIT_UNFENCED): w2 prepared, applied, verified; lease lost; w1 recovers w2's
  // record (committed-pending); a later trigger rotates again; w2 commits its value, now superseded.
  it('a slow worker cannot commit over a rotation that finished after it was taken over', async () => {
    const name = 'fence-commit';
    await managed(name);
    const aVerified = gate();
    const resumeA = gate();
    const a = run(name, DateTime.utc(), {
      onStep: async (step) => {
        if (step !== 'verified') return;
        await loseLease(name);
        aVerified.open();
        await resumeA.wait();
      },
    });
    await aVerified.wait();
    const b = await run(name, DateTime.utc().minus({ seconds: 1 }));
    expect(b).toMatchObject({ outcome: 'recovered', recovery: 'committed-pending' });
    await new Promise((resolve) => setTimeout(resolve, 5));
    const c = await run(name, DateTime.utc());
    expect(c.outcome).toBe('rotated');
    resumeA.open();
    const [ra] = await Promise.allSettled([a]);
    await expectNothingLost(name);
    expect(codeOf(ra)).toBe('ROTATION_FENCED');
  });

  // Trail (-DPREPARE_UNFENCED, found with apply and commit fenced): w2 locked; lease lost; w1
  // locked, reads no open record; w2 prepared, applied, verified; w1 prepared (hiding w2's open record);
  // w2's commit fenced off; w1 crashes: the target accepts w2's value, found nowhere.
  it('a new pending version is never written over an open one it did not see', async () => {
    const name = 'fence-prepare';
    await managed(name);
    const aLocked = gate();
    const resumeA = gate();
    const aVerified = gate();
    const finishA = gate();
    const a = run(name, DateTime.utc(), {
      onStep: async (step) => {
        if (step === 'locked') {
          await loseLease(name);
          aLocked.open();
          await resumeA.wait();
        }
        if (step === 'verified') {
          aVerified.open();
          await finishA.wait();
        }
      },
    });
    await aLocked.wait();
    const b = run(name, DateTime.utc(), {
      precheck: async () => {
        resumeA.open();
        await aVerified.wait();
      },
      onStep: (step) => {
        if (step === 'prepared') throw new SimulatedCrash('w1 crashes after its prepare');
      },
    });
    const [rb] = await Promise.allSettled([b]);
    expect(codeOf(rb)).toBe('ROTATION_FENCED');
    finishA.open();
    expect((await a).outcome).toBe('rotated');
    await expectNothingLost(name);
  });

  // Trail (-DCURRENT_NOT_REREAD, found with every write fenced): w2 rotates for a trigger; lease lost; w1, a duplicate of that
  // job, reads the current version before w2 commits and the closed record after: it rotated again.
  it('a duplicate job that read the current version before the commit does not rotate again', async () => {
    const name = 'fence-duplicate';
    await managed(name);
    const trigger = DateTime.utc();
    const aLocked = gate();
    const resumeA = gate();
    const a = run(name, trigger, {
      onStep: async (step) => {
        if (step !== 'locked') return;
        await loseLease(name);
        aLocked.open();
        await resumeA.wait();
      },
    });
    const aSettled = a.then(
      () => undefined,
      () => undefined,
    );
    await aLocked.wait();
    let paused = false;
    const b = await run(name, trigger, {
      beforeGet: async (secret) => {
        if (paused || secret !== pendingSecretName(name)) return;
        paused = true;
        resumeA.open();
        await aSettled;
      },
    });
    expect((await a).outcome).toBe('rotated');
    expect(b.outcome).toBe('satisfied');
    const versions: string[] = [];
    for await (const v of store.listVersions(name)) versions.push(v.version);
    expect(versions).toHaveLength(2);
    await expectNothingLost(name);
  });
});
