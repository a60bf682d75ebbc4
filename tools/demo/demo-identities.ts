import { ROLE } from '../../src/access/identity';
import type { TestIdentity } from './test-issuer';

/** The demo's tenant, audience and people: one asks for access, another approves it. */
export const DEMO_TENANT = '7e57de00-0000-4000-8000-000000000000';
export const DEMO_AUDIENCE = 'api://rotator-demo';

export const DEMO_PEOPLE = {
  requester: {
    oid: '0b0b0000-0000-4000-8000-00000000b0b0',
    upn: 'bob@demo.example',
    displayName: 'Bob (on call)',
    roles: [ROLE.checkout],
  },
  approver: {
    oid: '0ca40000-0000-4000-8000-00000000ca40',
    upn: 'carol@demo.example',
    displayName: 'Carol (team lead)',
    roles: [ROLE.approve],
  },
} satisfies Record<string, TestIdentity>;

/** The demo secret whose policy needs an approval. */
export const GUARDED_SECRET = 'svc-payroll-db';
