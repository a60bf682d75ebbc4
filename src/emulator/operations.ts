import type { BackupSealer } from './backup-blob';
import { secretDisabled } from './errors';
import { afterSortedKey, page, type PagedList, type PageRequest } from './paging';
import type { Route } from './routes';
import {
  SecretStore,
  latestOf,
  type DeletedSecretRecord,
  type SecretRecord,
  type SecretVersionRecord,
} from './store';
import { parseRestoreBody, parseSetBody, parseUpdateBody } from './validation';
import type { Wire, WireBundle } from './wire';

interface OperationContext {
  store: SecretStore;
  wire: Wire;
  baseUrl: string;
  query: URLSearchParams;
  apiVersion: string;
  /** The parsed JSON body; only operations that take one read it. */
  body: () => unknown;
  /** Seals and opens backup blobs with the vault's key. */
  sealer: BackupSealer;
  /** Fault injection: answer this list request with an empty page that still has a nextLink. */
  emptyPage?: () => boolean;
}

interface OperationResult {
  status: number;
  body?: unknown;
}

function forbiddenIfDisabled(enabled: boolean): void {
  if (!enabled) throw secretDisabled();
}

function pageRequest(ctx: OperationContext, path: string): PageRequest {
  return {
    baseUrl: ctx.baseUrl,
    path,
    query: ctx.query,
    apiVersion: ctx.apiVersion,
    emptyPage: ctx.emptyPage?.() ?? false,
  };
}

function byName<T extends SecretRecord>(items: readonly T[]): PagedList<T> {
  const keyOf = (r: T): string => SecretStore.key(r.name);
  return { items, markerOf: keyOf, after: (marker) => afterSortedKey(items, keyOf, marker) };
}

/** Versions only ever grow at the end, so "after this version id" is a stable resume point. */
function byVersion(items: readonly SecretVersionRecord[]): PagedList<SecretVersionRecord> {
  return {
    items,
    markerOf: (v) => v.version,
    after: (marker) => {
      const i = items.findIndex((v) => v.version === marker);
      return i === -1 ? items.length : i + 1;
    },
  };
}

function list(route: Route, ctx: OperationContext): OperationResult {
  const { store, wire } = ctx;
  if (route.op === 'getSecrets') {
    const req = pageRequest(ctx, '/secrets');
    return {
      status: 200,
      body: page(req, byName(store.listActive()), (r) => wire.item(r, latestOf(r), false)),
    };
  }
  if (route.op === 'getDeletedSecrets') {
    const req = pageRequest(ctx, '/deletedsecrets');
    const toWire = (r: DeletedSecretRecord): WireBundle => wire.deletedItem(r, latestOf(r), r.deleted);
    return { status: 200, body: page(req, byName(store.listDeleted()), toWire) };
  }
  if (route.op !== 'getSecretVersions') throw new Error(`${route.op} is not a list operation`);
  const found = store.listVersions(route.name);
  const path = `/secrets/${encodeURIComponent(found?.record.name ?? route.name)}/versions`;
  const versions = byVersion(found?.versions ?? []);
  const record = found?.record;
  return {
    status: 200,
    body: page(pageRequest(ctx, path), versions, (v) => (record ? wire.item(record, v, true) : undefined)),
  };
}

export function execute(route: Route, ctx: OperationContext): OperationResult {
  const { store, wire } = ctx;
  switch (route.op) {
    case 'setSecret': {
      const { record, version } = store.set(route.name, parseSetBody(ctx.body()));
      return { status: 200, body: wire.bundle(record, version, true) };
    }
    case 'getSecret': {
      const { record, version } = store.get(route.name, route.version);
      forbiddenIfDisabled(version.enabled);
      return { status: 200, body: wire.bundle(record, version, true) };
    }
    case 'updateSecret': {
      const { record, version } = store.update(route.name, route.version, parseUpdateBody(ctx.body()));
      return { status: 200, body: wire.bundle(record, version, false) };
    }
    case 'getSecrets':
    case 'getSecretVersions':
    case 'getDeletedSecrets':
      return list(route, ctx);
    case 'deleteSecret': {
      const record = store.delete(route.name);
      return { status: 200, body: wire.deletedBundle(record, latestOf(record), record.deleted) };
    }
    case 'getDeletedSecret': {
      const record = store.getDeleted(route.name);
      const latest = latestOf(record);
      // The service refuses to show a deleted secret whose latest version is disabled, as get does.
      forbiddenIfDisabled(latest.enabled);
      return { status: 200, body: wire.deletedBundle(record, latest, record.deleted) };
    }
    case 'recoverDeletedSecret': {
      const { record, version } = store.recover(route.name);
      return { status: 200, body: wire.bundle(record, version, false) };
    }
    case 'purgeDeletedSecret':
      store.purge(route.name);
      return { status: 204 };
    case 'backupSecret':
      return { status: 200, body: { value: ctx.sealer.seal(store.backup(route.name)) } };
    case 'restoreSecret': {
      const { record, version } = store.restore(ctx.sealer.open(parseRestoreBody(ctx.body())));
      return { status: 200, body: wire.bundle(record, version, false) };
    }
  }
}
