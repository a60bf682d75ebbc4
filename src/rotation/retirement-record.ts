/**
 * The retirement of a credential, recorded in Key Vault on the version that replaced it, so that it
 * survives the loss of Redis: the sweep finds pending and unproven retirements from the tags it lists
 * anyway. One tag (Key Vault allows 15 per version): `state;at;version[;reason]`.
 * - `pending;<retire at>;<old version>`: the old credential overlaps until then;
 * - `proven;<when>;<old version>`: retired and checked refused;
 * - `unproven;<when>;<old version>;<reason>`: retired but not shown refused: an alert, retried.
 */
export const RETIREMENT_TAG = 'rotation-retirement';

export type RetirementState = 'pending' | 'proven' | 'unproven';

export interface RetirementRecord {
  state: RetirementState;
  /** ISO-8601 UTC: when the overlap ends (pending) or when the proof was attempted. */
  at: string;
  /** The Key Vault version of the credential being retired. */
  version: string;
  reason?: string;
}

const STATES: readonly RetirementState[] = ['pending', 'proven', 'unproven'];

export function formatRetirement(record: RetirementRecord): string {
  const reason = record.reason === undefined ? '' : `;${record.reason.replace(/;/g, ',').slice(0, 300)}`;
  return `${record.state};${record.at};${record.version}${reason}`;
}

export function parseRetirement(raw: string | undefined): RetirementRecord | undefined {
  if (raw === undefined) return undefined;
  const [state, at, version, ...rest] = raw.split(';');
  const known = STATES.find((s) => s === state);
  if (known === undefined || at === undefined || version === undefined || version === '') return undefined;
  if (Number.isNaN(Date.parse(at))) return undefined;
  return { state: known, at, version, ...(rest.length > 0 ? { reason: rest.join(';') } : {}) };
}
