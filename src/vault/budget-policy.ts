import { AbortError, type AbortSignalLike } from '@azure/abort-controller';
import type { SecretClientOptions } from '@azure/keyvault-secrets';
import { classOf, takeAdmittedSlot, type BudgetSlot, type RequestBudget } from '../budget';
import { RotatorError } from '../errors';
import { retryAfterMs } from '../http';

type PipelinePolicy = NonNullable<SecretClientOptions['additionalPolicies']>[number]['policy'];

type PipelineRequest = Parameters<PipelinePolicy['sendRequest']>[0];

export interface BudgetPolicyOptions {
  /** Rejects with an AbortError once `abortSignal` aborts, as `delay` of @azure/core-util does. */
  sleep(ms: number, options: { abortSignal?: AbortSignalLike; abortErrorMsg?: string }): Promise<void>;
  /** The longest one request waits for its slot before failing as throttled (a transient failure). */
  maxWaitMs: number;
  /** The pause after a 429 that names no Retry-After: real 429s have been seen without it. */
  defaultPauseMs: number;
  /** For an HTTP-date Retry-After. */
  now(): number;
}

const ABORTED = 'The request was aborted while it waited for its vault request budget.';

/** The SDK's own AbortError, so callers that already tell an abort from a failure keep doing so. */
function throwIfAborted(signal: AbortSignalLike | undefined): void {
  if (signal?.aborted === true) throw new AbortError(ABORTED);
}

async function slotFor(
  budget: RequestBudget,
  vaultUrl: string,
  request: PipelineRequest,
  options: BudgetPolicyOptions,
): Promise<BudgetSlot> {
  const kind = classOf(request.method);
  const signal = request.abortSignal;
  // Before any slot is taken or spent: an aborted request is never sent.
  throwIfAborted(signal);
  const admitted = kind === 'write' ? takeAdmittedSlot(vaultUrl) : undefined;
  if (admitted !== undefined) return admitted;
  let waited = 0;
  for (;;) {
    throwIfAborted(signal);
    const decision = await budget.take(vaultUrl, kind);
    if (decision.granted) return decision.slot;
    if (waited + decision.waitMs > options.maxWaitMs) {
      throw new RotatorError('VAULT_THROTTLED', `the ${kind} budget of ${vaultUrl} stays spent`, {
        hint: `waited ${waited} ms (${decision.by}); retried with backoff. Check ROTATOR_VAULT_BUDGETS and what else uses the vault`,
        retryAfterMs: decision.waitMs,
      });
    }
    // Waits only as long as the log says: a slot frees exactly then, unless another replica takes it.
    await options.sleep(decision.waitMs, { abortSignal: signal, abortErrorMsg: ABORTED });
    waited += decision.waitMs;
  }
}

/**
 * Counts each request to one vault against its budget as it is sent, retries included (the policy
 * sits after the SDK's retry policy), waiting for a slot when the budget is spent; a 429 pauses that
 * vault for every replica, for as long as the vault asked. An abort ends the wait at once, and the
 * aborted request takes no slot.
 */
export function requestBudgetPolicy(
  vaultUrl: string,
  budget: RequestBudget,
  options: BudgetPolicyOptions,
): PipelinePolicy {
  return {
    name: 'rotatorRequestBudgetPolicy',
    sendRequest: async (request, next) => {
      const slot = await slotFor(budget, vaultUrl, request, options);
      try {
        const response = await next(request);
        if (response.status === 429) {
          const wait = retryAfterMs(response.headers, options.now()) ?? options.defaultPauseMs;
          await budget.pause(vaultUrl, wait);
        }
        return response;
      } finally {
        await budget.settle(slot);
      }
    },
  };
}
