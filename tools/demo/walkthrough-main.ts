import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../../src/config';
import { createSecretStores } from '../../src/vault';
import { runAccessWalkthrough } from './access-walkthrough';
import { GUARDED_SECRET } from './demo-identities';

const say = (line: string): void => void process.stdout.write(`walkthrough: ${line}\n`);

/**
 * The compose stack's one-shot walkthrough: `node dist/demo/walkthrough-main.js API_URL TOKEN_DIR`,
 * with the vault configured as for the daemon (ROTATOR_VAULT_*). Seeds a secret that needs approval,
 * waits for the API, then request → approve (second identity) → checkout; the daemon rotates it later.
 */
async function main(): Promise<void> {
  const [apiUrl = 'http://127.0.0.1:8081', dir = '/data/issuer'] = process.argv.slice(2);
  const [store] = createSecretStores(loadConfig(process.env));
  if (store === undefined) throw new Error('set ROTATOR_VAULT_URL');
  if ((await store.get(GUARDED_SECRET)) === undefined)
    await store.set(GUARDED_SECRET, `compose-${Date.now()}`, {
      tags: { 'rotation-target': 'keyvault', 'rotation-approval': 'required' },
    });
  for (let attempt = 0; ; attempt += 1) {
    const up = await fetch(`${apiUrl}/v1/openapi.json`).then(
      (r) => r.ok,
      () => false,
    );
    if (up) break;
    if (attempt > 120) throw new Error(`the access API at ${apiUrl} did not answer`);
    await new Promise((r) => setTimeout(r, 1_000));
  }
  const tokens = {
    requester: readFileSync(join(dir, 'token-bob'), 'utf8').trim(),
    approver: readFileSync(join(dir, 'token-carol'), 'utf8').trim(),
  };
  await runAccessWalkthrough({ apiUrl, tokens, secret: GUARDED_SECRET, say });
  say('done: the daemon rotates the secret after ROTATOR_USAGE_GRACE (see its log and the dashboard)');
}

main().catch((error: unknown) => {
  say(`failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
