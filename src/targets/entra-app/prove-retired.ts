import type { ProofOutcome, RetiredCredential } from '../../rotation';
import { TAG } from '../../tags';
import type { GraphApi } from '../graph';
import { VALUE_GONE } from '../prove-refused';
import type { TokenRefusal } from './token-refusal';

/** Proof: the key id is gone from the application, and the old secret gets no token. */
export async function proveRetired(
  graph: GraphApi,
  refusal: TokenRefusal,
  endpoint: string,
  appObjectId: string,
  retired: RetiredCredential,
): Promise<ProofOutcome> {
  const keyId = retired.tags[TAG.keyId];
  const { appId, passwordCredentials } = await graph.listPasswords(appObjectId);
  if (keyId !== undefined && passwordCredentials.some((c) => c.keyId === keyId)) {
    return { proven: false, reason: `key id ${keyId} is still on the application`, check: 'key id' };
  }
  const gone = keyId === undefined ? 'no key id recorded' : `key id ${keyId} gone`;
  if (retired.value === undefined) return { proven: false, reason: VALUE_GONE, check: gone };
  const refused = await refusal(appId, retired.value);
  if (refused === undefined) {
    return { proven: false, reason: 'a token request with the retired secret still succeeds', check: gone };
  }
  if (!refused.includes('AADSTS')) {
    return { proven: false, reason: `the token endpoint gave no verdict (${refused})`, check: gone };
  }
  return { proven: true, check: `${gone}; token request at ${endpoint} ${refused}` };
}
