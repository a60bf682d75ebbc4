import { randomUUID } from 'node:crypto';
import type { SecretClientOptions } from '@azure/keyvault-secrets';

type PipelinePolicy = NonNullable<SecretClientOptions['additionalPolicies']>[number]['policy'];

/**
 * Every Key Vault call of the rotator carries an `x-ms-client-request-id` that starts with this mark,
 * so that the reads backstop (src/audit-watch) can tell the rotator's own reads (rotations, checkouts
 * through the access API, tag look-ups) from everyone else's in the vault's AuditEvent log, where the
 * id lands as `CorrelationId`. It stays a GUID (Azure's guidelines ask for one): a fixed first group.
 * Anyone can send this header, so the watcher also requires the rotator's own identity.
 */
export const ROTATOR_REQUEST_ID_PREFIX = 'a0707a70-';

export function rotatorRequestId(): string {
  return `${ROTATOR_REQUEST_ID_PREFIX}${randomUUID().slice(ROTATOR_REQUEST_ID_PREFIX.length)}`;
}

export function isRotatorRequestId(id: string | undefined): boolean {
  return id !== undefined && id.toLowerCase().startsWith(ROTATOR_REQUEST_ID_PREFIX);
}

/** A per-call pipeline policy: retries of one call keep its id, as the SDK's own policy does. */
export const rotatorRequestIdPolicy: PipelinePolicy = {
  name: 'rotatorRequestIdPolicy',
  sendRequest: (request, next) => {
    request.headers.set('x-ms-client-request-id', rotatorRequestId());
    return next(request);
  },
};
