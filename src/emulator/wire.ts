import { RECOVERABLE_DAYS, type DeletionRecord, type SecretRecord, type SecretVersionRecord } from './store';

/** Shapes exactly as Key Vault sends them: integer Unix seconds, optional keys left out, not null. */
interface WireAttributes {
  enabled: boolean;
  created: number;
  updated: number;
  recoveryLevel: string;
  recoverableDays: number;
  nbf?: number;
  exp?: number;
}

export type WireBundle = Record<string, unknown>;

function attributes(v: SecretVersionRecord): WireAttributes {
  return {
    enabled: v.enabled,
    ...(v.nbf !== undefined && { nbf: v.nbf }),
    ...(v.exp !== undefined && { exp: v.exp }),
    created: v.created,
    updated: v.updated,
    recoveryLevel: 'Recoverable+Purgeable',
    recoverableDays: RECOVERABLE_DAYS,
  };
}

function common(v: SecretVersionRecord): WireBundle {
  return {
    ...(v.contentType !== undefined && { contentType: v.contentType }),
    attributes: attributes(v),
    ...(v.tags !== undefined && { tags: v.tags }),
  };
}

export class Wire {
  constructor(private readonly baseUrl: string) {}

  secretId(record: SecretRecord, version?: SecretVersionRecord): string {
    const base = `${this.baseUrl}/secrets/${record.name}`;
    return version ? `${base}/${version.version}` : base;
  }

  /**
   * Get and set carry the value; update, recover, restore and every deleted-secret answer do not,
   * as with the service. No `previousVersion`: from API 2025-07-01 the service sets it only on
   * secrets backing a certificate (created after June 2025), which the emulator does not have.
   */
  bundle(record: SecretRecord, v: SecretVersionRecord, withValue: boolean): WireBundle {
    return { ...(withValue && { value: v.value }), id: this.secretId(record, v), ...common(v) };
  }

  /** List items never carry a value; `versioned` picks between the list and list-versions id forms. */
  item(record: SecretRecord, v: SecretVersionRecord, versioned: boolean): WireBundle {
    return { id: this.secretId(record, versioned ? v : undefined), ...common(v) };
  }

  private deletion(record: SecretRecord, deleted: DeletionRecord): WireBundle {
    return {
      recoveryId: `${this.baseUrl}/deletedsecrets/${record.name}`,
      deletedDate: deleted.deletedDate,
      scheduledPurgeDate: deleted.scheduledPurgeDate,
    };
  }

  /** A deleted secret's value is not readable until it is recovered, so no deleted bundle carries it. */
  deletedBundle(record: SecretRecord, v: SecretVersionRecord, deleted: DeletionRecord): WireBundle {
    return { ...this.deletion(record, deleted), ...this.bundle(record, v, false) };
  }

  deletedItem(record: SecretRecord, v: SecretVersionRecord, deleted: DeletionRecord): WireBundle {
    return { ...this.deletion(record, deleted), ...this.item(record, v, false) };
  }
}
