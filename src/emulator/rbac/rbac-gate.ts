import type { JWTPayload } from 'jose';
import { KvError } from '../errors';
import type { VaultResource } from '../identity/vault-resource';
import type { Route } from '../routes';
import { authorize, secretScopeOf } from './authorize';
import type { RbacPolicy } from './rbac-file';
import { createTokenVerifier } from './token-verifier';

/** Key Vault's RBAC refusal: 403 Forbidden with inner code ForbiddenByRbac, the body the SDK surfaces. */
export class ForbiddenByRbacError extends KvError {
  constructor(message: string) {
    super(403, 'Forbidden', message, {}, 'ForbiddenByRbac');
  }
}

function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

/** The service's message, line for line (CRLF-separated), so tools that parse it see the same fields. */
function forbiddenMessage(
  payload: JWTPayload,
  action: string,
  resource: string,
  vault: VaultResource,
): string {
  const caller = [
    str(payload['appid']) || str(payload['azp'])
      ? `appid=${str(payload['appid']) || str(payload['azp'])}`
      : '',
    `oid=${str(payload['oid'])}`,
    `iss=${str(payload.iss)}`,
  ]
    .filter((p) => p !== '')
    .join(';');
  return [
    'Caller is not authorized to perform action on resource.',
    'If role assignments, deny assignments or role definitions were changed recently, please observe propagation time.',
    `Caller: ${caller}`,
    `Action: '${action}'`,
    `Resource: '${resource}'`,
    'Assignment: (not found)',
    'DenyAssignmentId: null',
    "DecisionReason: 'DeniedWithNoValidRBAC' ",
    `Vault: ${vault.name};location=local`,
    '',
  ].join('\r\n');
}

export interface RbacGate {
  /** 401 unless the token verifies; the verified claims otherwise. */
  authenticate(token: string): Promise<JWTPayload>;
  /** 403 ForbiddenByRbac unless the caller's oid holds a role for the operation at its scope. */
  authorize(payload: JWTPayload, route: Route): void;
}

export function createRbacGate(policy: RbacPolicy, vault: VaultResource): RbacGate {
  const verifier = createTokenVerifier(policy);
  return {
    authenticate: (token) => verifier.verify(token),
    authorize(payload, route) {
      const oid = typeof payload['oid'] === 'string' ? payload['oid'] : undefined;
      const decision = authorize(policy, oid, route);
      if (decision.allowed) return;
      const secret = secretScopeOf(route);
      const resource = secret === undefined ? vault.resourceId : `${vault.resourceId}/secrets/${secret}`;
      throw new ForbiddenByRbacError(forbiddenMessage(payload, decision.action, resource, vault));
    },
  };
}
