import { randomBytes } from 'node:crypto';
import { KvError, deletedSecretNotFound, secretNotFound } from './errors';

/** Soft-deleted secrets stay recoverable this long, like a vault with the default retention. */
export const RECOVERABLE_DAYS = 90;

export interface SecretVersionRecord {
  version: string;
  value: string;
  contentType?: string;
  enabled: boolean;
  nbf?: number;
  exp?: number;
  created: number;
  updated: number;
  tags?: Record<string, string>;
}

export interface DeletionRecord {
  deletedDate: number;
  scheduledPurgeDate: number;
}

export interface SecretRecord {
  /** The case the name was first created with; lookups use the lower-cased key. */
  name: string;
  /** Oldest first: the last one is "latest". */
  versions: SecretVersionRecord[];
  deleted?: DeletionRecord;
}

export interface SetInput {
  value: string;
  contentType?: string;
  enabled?: boolean;
  nbf?: number;
  exp?: number;
  tags?: Record<string, string>;
}

export interface UpdateInput {
  contentType?: string;
  enabled?: boolean;
  nbf?: number;
  exp?: number;
  tags?: Record<string, string>;
}

export interface Snapshot {
  format: 1;
  secrets: SecretRecord[];
}

function newVersion(): string {
  return randomBytes(16).toString('hex');
}

function latestOf(record: SecretRecord): SecretVersionRecord {
  const latest = record.versions[record.versions.length - 1];
  // Records are only created with a first version, so an empty list means the state file was edited.
  if (!latest) throw new KvError(500, 'InternalServerError', `secret ${record.name} has no versions`);
  return latest;
}

/** In-memory secrets with versions and soft delete; the clock is injected so tests can pin times. */
export class SecretStore {
  private readonly secrets = new Map<string, SecretRecord>();
  /** The sorted active records, kept between list pages: re-sorting per page made a 100k-secret listing quadratic. */
  private activeSorted: readonly SecretRecord[] | undefined;

  constructor(private readonly nowSeconds: () => number = () => Math.floor(Date.now() / 1000)) {}

  static key(name: string): string {
    return name.toLowerCase();
  }

  private active(name: string, version?: string): SecretRecord {
    const record = this.secrets.get(SecretStore.key(name));
    if (!record || record.deleted) throw secretNotFound(name, version);
    return record;
  }

  private deletedRecord(name: string): SecretRecord & { deleted: DeletionRecord } {
    const record = this.secrets.get(SecretStore.key(name));
    if (!record?.deleted) throw deletedSecretNotFound(name);
    return record as SecretRecord & { deleted: DeletionRecord };
  }

  set(name: string, input: SetInput): { record: SecretRecord; version: SecretVersionRecord } {
    const key = SecretStore.key(name);
    const existing = this.secrets.get(key);
    if (existing?.deleted) {
      throw new KvError(
        409,
        'Conflict',
        `Secret ${name} is currently in a deleted but recoverable state, and its name cannot be reused; in this state, the secret can be recovered or purged.`,
      );
    }
    const now = this.nowSeconds();
    const version: SecretVersionRecord = {
      version: newVersion(),
      value: input.value,
      enabled: input.enabled ?? true,
      created: now,
      updated: now,
      ...(input.contentType !== undefined && { contentType: input.contentType }),
      ...(input.nbf !== undefined && { nbf: input.nbf }),
      ...(input.exp !== undefined && { exp: input.exp }),
      ...(input.tags !== undefined && { tags: { ...input.tags } }),
    };
    const record = existing ?? { name, versions: [] };
    record.versions.push(version);
    if (existing === undefined) this.activeSorted = undefined;
    this.secrets.set(key, record);
    return { record, version };
  }

  /** An empty or missing version means latest, as `GET /secrets/{name}/` does. */
  get(name: string, version?: string): { record: SecretRecord; version: SecretVersionRecord } {
    const record = this.active(name, version);
    if (!version) return { record, version: latestOf(record) };
    const found = record.versions.find((v) => v.version === version.toLowerCase());
    if (!found) throw secretNotFound(name, version);
    return { record, version: found };
  }

  update(
    name: string,
    version: string | undefined,
    input: UpdateInput,
  ): { record: SecretRecord; version: SecretVersionRecord } {
    const found = this.get(name, version);
    const v = found.version;
    if (input.contentType !== undefined) v.contentType = input.contentType;
    if (input.enabled !== undefined) v.enabled = input.enabled;
    if (input.nbf !== undefined) v.nbf = input.nbf;
    if (input.exp !== undefined) v.exp = input.exp;
    if (input.tags !== undefined) v.tags = { ...input.tags };
    v.updated = this.nowSeconds();
    return found;
  }

  listActive(): readonly SecretRecord[] {
    this.activeSorted ??= [...this.secrets.values()]
      .filter((r) => !r.deleted)
      .sort((a, b) => a.name.localeCompare(b.name));
    return this.activeSorted;
  }

  /** Unknown names list as empty, matching the service's 200 with no items. */
  listVersions(name: string): { record: SecretRecord; versions: SecretVersionRecord[] } | undefined {
    const record = this.secrets.get(SecretStore.key(name));
    if (!record || record.deleted) return undefined;
    return { record, versions: [...record.versions] };
  }

  delete(name: string): SecretRecord & { deleted: DeletionRecord } {
    const record = this.active(name);
    const now = this.nowSeconds();
    record.deleted = { deletedDate: now, scheduledPurgeDate: now + RECOVERABLE_DAYS * 86400 };
    this.activeSorted = undefined;
    return record as SecretRecord & { deleted: DeletionRecord };
  }

  getDeletedLatest(record: SecretRecord): SecretVersionRecord {
    return latestOf(record);
  }

  getDeleted(name: string): SecretRecord & { deleted: DeletionRecord } {
    return this.deletedRecord(name);
  }

  listDeleted(): (SecretRecord & { deleted: DeletionRecord })[] {
    return [...this.secrets.values()]
      .filter((r): r is SecretRecord & { deleted: DeletionRecord } => r.deleted !== undefined)
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  recover(name: string): { record: SecretRecord; version: SecretVersionRecord } {
    const record = this.deletedRecord(name);
    delete (record as SecretRecord).deleted;
    this.activeSorted = undefined;
    return { record, version: latestOf(record) };
  }

  purge(name: string): void {
    this.deletedRecord(name);
    this.secrets.delete(SecretStore.key(name));
  }

  backup(name: string): SecretRecord {
    return structuredClone(this.active(name));
  }

  restore(record: SecretRecord): { record: SecretRecord; version: SecretVersionRecord } {
    const key = SecretStore.key(record.name);
    if (this.secrets.has(key)) {
      throw new KvError(409, 'Conflict', `Secret ${record.name} already exists; restore needs a free name.`);
    }
    const copy = structuredClone(record);
    delete copy.deleted;
    this.secrets.set(key, copy);
    this.activeSorted = undefined;
    return { record: copy, version: latestOf(copy) };
  }

  snapshot(): Snapshot {
    return { format: 1, secrets: structuredClone([...this.secrets.values()]) };
  }

  load(snapshot: Snapshot): void {
    this.secrets.clear();
    this.activeSorted = undefined;
    for (const record of snapshot.secrets) this.secrets.set(SecretStore.key(record.name), record);
  }
}
