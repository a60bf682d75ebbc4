import { KvError, badParameter } from './errors';

/**
 * The data-plane versions Key Vault answers for secrets. @azure/keyvault-secrets 4.12 sends
 * 2026-04-01; Debian's python3-azure (azure-keyvault-secrets 4.7) sends 7.3.
 */
const SUPPORTED_API_VERSIONS: readonly string[] = [
  '2016-10-01',
  '7.0',
  '7.1',
  '7.2',
  '7.3',
  '7.4',
  '7.5',
  '7.6',
  '2025-07-01',
  '2026-04-01',
];

const LATEST_API_VERSION = '2026-04-01';

/** Returns the version to answer with, or refuses the request with the service's own texts. */
export function checkApiVersion(raw: string | null): string {
  if (raw === null || raw === '') {
    throw badParameter('The request URI contains an invalid or missing api-version.');
  }
  if (!SUPPORTED_API_VERSIONS.includes(raw)) {
    throw new KvError(
      400,
      'BadParameter',
      `The specified version (${raw.slice(0, 40)}) is not recognized. Consider using the latest supported version (${LATEST_API_VERSION}).`,
    );
  }
  return raw;
}
