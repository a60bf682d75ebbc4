import { randomBytes } from 'node:crypto';
import {
  KvError,
  alreadyExists,
  beingDeleted,
  beingDeletedCannotRecreate,
  beingRecovered,
  deletedButRecoverable,
  deletedSecretNotFound,
  secretNotFound,
} from './errors';

/** Soft-deleted secrets stay recoverable this long, like a vault with the default retention. */
export const RECOVERABLE_DAYS = 90;

/** How long a delete, recover or purge takes to settle unless told otherwise (the service takes seconds). */
const DEFAULT_SETTLE_MS = 1000;

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

/**
 * Key Vault carries out delete, recover and purge after answering: until `settlesAt` (epoch ms) the
 * secret is in neither collection and its name cannot be reused.
 */
interface PendingOperation {
  op: 'delete' | 'recover' | 'purge';
  settlesAt: number;
}

export interface SecretRecord {
  /** The case the name was first created with; lookups use the lower-cased key. */
  name: string;
  /** Oldest first: the last one is "latest". */
  versions: SecretVersionRecord[];
  deleted?: DeletionRecord;
  pending?: PendingOperation;
}

export type DeletedSecretRecord = SecretRecord & { deleted: DeletionRecord };

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
  /** base64 of the key that seals backups, so blobs stay restorable across restarts (absent in old files). */
  backupKey?: string;
}

interface StoreOptions {
  /** Epoch milliseconds; injected so tests can pin times. */
  now?: () => number;
  /** Delete, recover and purge settle after this many ms; 0 settles them at once. */
  settleMs?: number;
}

function newVersion(): string {
  return randomBytes(16).toString('hex');
}

export function latestOf(record: SecretRecord): SecretVersionRecord {
  const latest = record.versions[record.versions.length - 1];
  // Records are only created with a first version, so an empty list means the state file was edited.
  if (!latest) throw new KvError(500, 'InternalServerError', `secret ${record.name} has no versions`);
  return latest;
}

/** Plain code-unit order of the lower-cased names: a total order that paging markers can resume from. */
function byKey(a: SecretRecord, b: SecretRecord): number {
  const ka = SecretStore.key(a.name);
  const kb = SecretStore.key(b.name);
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

/** In-memory secrets with versions, soft delete and Key Vault's asynchronous delete/recover/purge. */
export class SecretStore {
  private readonly secrets = new Map<string, SecretRecord>();
  /** Keys with an operation still settling; small, so every call can check them cheaply. */
  private readonly pendingKeys = new Set<string>();
  /** The sorted active records, kept between list pages: re-sorting per page made a 100k-secret listing quadratic. */
  private activeSorted: readonly SecretRecord[] | undefined;
  private deletedSorted: readonly DeletedSecretRecord[] | undefined;
  private readonly now: () => number;
  private readonly settleMs: number;
  backupKey: Buffer = randomBytes(32);

  constructor(options: StoreOptions = {}) {
    this.now = options.now ?? Date.now;
    this.settleMs = options.settleMs ?? DEFAULT_SETTLE_MS;
  }

  static key(name: string): string {
    return name.toLowerCase();
  }

  private nowSeconds(): number {
    return Math.floor(this.now() / 1000);
  }

  private invalidate(): void {
    this.activeSorted = undefined;
    this.deletedSorted = undefined;
  }

  /** Finishes every operation whose settle time has passed; called first by every public method. */
  private settle(): void {
    if (this.pendingKeys.size === 0) return;
    const now = this.now();
    for (const key of this.pendingKeys) {
      const record = this.secrets.get(key);
      if (record?.pending === undefined) {
        this.pendingKeys.delete(key);
        continue;
      }
      if (record.pending.settlesAt > now) continue;
      if (record.pending.op === 'purge') this.secrets.delete(key);
      else delete record.pending;
      this.pendingKeys.delete(key);
      this.invalidate();
    }
  }

  /** Starts an operation that the service finishes later, or finishes it now when settleMs is 0. */
  private begin(key: string, record: SecretRecord, op: PendingOperation['op']): void {
    this.invalidate();
    if (this.settleMs <= 0) {
      if (op === 'purge') this.secrets.delete(key);
      return;
    }
    record.pending = { op, settlesAt: this.now() + this.settleMs };
    this.pendingKeys.add(key);
  }

  private active(name: string, version?: string): SecretRecord {
    this.settle();
    const record = this.secrets.get(SecretStore.key(name));
    if (!record || record.deleted || record.pending) throw secretNotFound(name, version);
    return record;
  }

  /** A settled soft-deleted record; purge and recover refuse one whose delete is still running. */
  private deletedRecord(name: string, refuseWhileDeleting: boolean): DeletedSecretRecord {
    this.settle();
    const record = this.secrets.get(SecretStore.key(name));
    if (refuseWhileDeleting && record?.pending?.op === 'delete') throw beingDeleted();
    if (!record?.deleted || record.pending) throw deletedSecretNotFound(name);
    return record as DeletedSecretRecord;
  }

  /** Why a name cannot take a new secret (set or restore), if it cannot. */
  private conflictFor(name: string, record: SecretRecord | undefined): KvError | undefined {
    if (record?.pending?.op === 'recover') return beingRecovered(name);
    if (record?.pending) return beingDeletedCannotRecreate(name);
    if (record?.deleted) return deletedButRecoverable(name);
    return undefined;
  }

  set(name: string, input: SetInput): { record: SecretRecord; version: SecretVersionRecord } {
    this.settle();
    const key = SecretStore.key(name);
    const existing = this.secrets.get(key);
    const conflict = this.conflictFor(name, existing);
    if (conflict) throw conflict;
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
    if (existing === undefined) this.invalidate();
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

  /** Sorted by lower-cased name (see byKey), which list paging markers rely on. */
  listActive(): readonly SecretRecord[] {
    this.settle();
    this.activeSorted ??= [...this.secrets.values()].filter((r) => !r.deleted && !r.pending).sort(byKey);
    return this.activeSorted;
  }

  /** Unknown names list as empty, matching the service's 200 with no items. */
  listVersions(name: string): { record: SecretRecord; versions: SecretVersionRecord[] } | undefined {
    this.settle();
    const record = this.secrets.get(SecretStore.key(name));
    if (!record || record.deleted || record.pending) return undefined;
    return { record, versions: [...record.versions] };
  }

  /** Answers at once; the secret is out of the active collection but not yet in the deleted one. */
  delete(name: string): DeletedSecretRecord {
    const record = this.active(name);
    const now = this.nowSeconds();
    record.deleted = { deletedDate: now, scheduledPurgeDate: now + RECOVERABLE_DAYS * 86400 };
    this.begin(SecretStore.key(name), record, 'delete');
    return record as DeletedSecretRecord;
  }

  getDeleted(name: string): DeletedSecretRecord {
    return this.deletedRecord(name, false);
  }

  listDeleted(): readonly DeletedSecretRecord[] {
    this.settle();
    this.deletedSorted ??= [...this.secrets.values()]
      .filter((r): r is DeletedSecretRecord => r.deleted !== undefined && !r.pending)
      .sort(byKey);
    return this.deletedSorted;
  }

  recover(name: string): { record: SecretRecord; version: SecretVersionRecord } {
    const record: SecretRecord = this.deletedRecord(name, true);
    delete record.deleted;
    this.begin(SecretStore.key(name), record, 'recover');
    return { record, version: latestOf(record) };
  }

  purge(name: string): void {
    const record = this.deletedRecord(name, true);
    this.begin(SecretStore.key(name), record, 'purge');
  }

  backup(name: string): SecretRecord {
    const copy = structuredClone(this.active(name));
    delete copy.pending;
    return copy;
  }

  restore(record: SecretRecord): { record: SecretRecord; version: SecretVersionRecord } {
    this.settle();
    const key = SecretStore.key(record.name);
    const existing = this.secrets.get(key);
    const conflict = this.conflictFor(record.name, existing);
    if (conflict) throw conflict;
    if (existing) throw alreadyExists(record.name);
    const copy = structuredClone(record);
    delete copy.deleted;
    delete copy.pending;
    this.secrets.set(key, copy);
    this.invalidate();
    return { record: copy, version: latestOf(copy) };
  }

  snapshot(): Snapshot {
    return {
      format: 1,
      secrets: structuredClone([...this.secrets.values()]),
      backupKey: this.backupKey.toString('base64'),
    };
  }

  load(snapshot: Snapshot): void {
    this.secrets.clear();
    this.pendingKeys.clear();
    this.invalidate();
    if (snapshot.backupKey !== undefined) {
      const key = Buffer.from(snapshot.backupKey, 'base64');
      if (key.length !== 32) throw new Error('the state file holds a backup key that is not 32 bytes');
      this.backupKey = key;
    }
    for (const record of snapshot.secrets) {
      const key = SecretStore.key(record.name);
      this.secrets.set(key, record);
      if (record.pending) this.pendingKeys.add(key);
    }
  }
}
