import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TargetPolicy } from '../../src/policy';

/**
 * The policy a test needs to let the daemon touch one test cluster: its host and port, every role
 * (through the `roles` list), and the admin connection secrets named, in the test's vault.
 */
export function clusterPolicy(
  cluster: { host: string; port: number },
  vaultUrl: string,
  roles: string[],
  connectionSecrets: string[] = ['pg-admin'],
): TargetPolicy {
  return {
    version: 1,
    postgres: {
      servers: [
        {
          host: cluster.host,
          port: cluster.port,
          sslmodes: ['verify-full'],
          roles,
          memberOf: [],
          connections: connectionSecrets.map((secret) => ({
            vault: vaultUrl.replace(/\/+$/, '').toLowerCase(),
            secret,
          })),
        },
      ],
    },
  };
}

/** Writes a policy to a file of its own, for ROTATOR_TARGET_POLICY of a child process. */
export function writePolicyFile(policy: TargetPolicy): string {
  const file = join(mkdtempSync(join(tmpdir(), 'rotator-test-policy-')), 'target-policy.json');
  writeFileSync(file, JSON.stringify(policy));
  return file;
}
