import { KvError, badParameter } from './errors';
import type { Route } from './routes';
import type { SecretRecord, SecretStore } from './store';
import { parseMaxResults, parseRestoreBody, parseSetBody, parseUpdateBody, validateName } from './validation';
import type { Wire, WireBundle } from './wire';

export interface OperationContext {
  store: SecretStore;
  wire: Wire;
  baseUrl: string;
  query: URLSearchParams;
  apiVersion: string;
  /** The parsed JSON body; only operations that take one read it. */
  body: () => unknown;
}

export interface OperationResult {
  status: number;
  body?: unknown;
}

function forbiddenIfDisabled(enabled: boolean): void {
  if (!enabled) throw new KvError(403, 'Forbidden', 'Operation get is not allowed on a disabled secret.');
}

/** Offset paging behind an opaque-looking token; the SDK only follows nextLink, never builds one. */
function page<T, W = T>(
  ctx: OperationContext,
  path: string,
  all: readonly T[],
  // Only the page's own items are turned into wire form: a listing of 100k secrets stays linear.
  toWire: (item: T) => W | undefined = (item) => item as unknown as W,
): { value: W[]; nextLink: string | null } {
  const max = parseMaxResults(ctx.query.get('maxresults'));
  const token = ctx.query.get('$skiptoken') ?? '0';
  const offset = Number(token);
  if (!Number.isInteger(offset) || offset < 0) throw badParameter('The $skiptoken is invalid.');
  const value = all.slice(offset, offset + max).flatMap((item) => {
    const wire = toWire(item);
    return wire === undefined ? [] : [wire];
  });
  const next = offset + max;
  const nextLink =
    next < all.length
      ? `${ctx.baseUrl}${path}?api-version=${encodeURIComponent(ctx.apiVersion)}&$skiptoken=${next}&maxresults=${max}`
      : null;
  return { value, nextLink };
}

interface BackupBlob {
  emulatorBackup: 1;
  record: SecretRecord;
}

function decodeBackup(blob: string): SecretRecord {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(blob, 'base64url').toString('utf8'));
  } catch {
    throw badParameter('The backup blob is malformed.');
  }
  const b = parsed as Partial<BackupBlob> | null;
  if (!b || b.emulatorBackup !== 1 || !b.record || !Array.isArray(b.record.versions)) {
    throw badParameter('The backup blob is malformed.');
  }
  validateName(String(b.record.name));
  return b.record;
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
    case 'getSecrets': {
      return {
        status: 200,
        body: page(ctx, '/secrets', store.listActive(), (r): WireBundle | undefined => {
          const latest = r.versions[r.versions.length - 1];
          return latest ? wire.item(r, latest, false) : undefined;
        }),
      };
    }
    case 'getSecretVersions': {
      const found = store.listVersions(route.name);
      const items = found ? found.versions.map((v) => wire.item(found.record, v, true)) : [];
      const path = `/secrets/${encodeURIComponent(found?.record.name ?? route.name)}/versions`;
      return { status: 200, body: page(ctx, path, items) };
    }
    case 'deleteSecret': {
      const record = store.delete(route.name);
      const latest = store.getDeletedLatest(record);
      return { status: 200, body: wire.deletedBundle(record, latest, record.deleted) };
    }
    case 'getDeletedSecret': {
      const record = store.getDeleted(route.name);
      return {
        status: 200,
        body: wire.deletedBundle(record, store.getDeletedLatest(record), record.deleted),
      };
    }
    case 'getDeletedSecrets': {
      const items = store.listDeleted().map((r) => wire.deletedItem(r, store.getDeletedLatest(r), r.deleted));
      return { status: 200, body: page(ctx, '/deletedsecrets', items) };
    }
    case 'recoverDeletedSecret': {
      const { record, version } = store.recover(route.name);
      return { status: 200, body: wire.bundle(record, version, false) };
    }
    case 'purgeDeletedSecret':
      store.purge(route.name);
      return { status: 204 };
    case 'backupSecret': {
      const blob: BackupBlob = { emulatorBackup: 1, record: store.backup(route.name) };
      return { status: 200, body: { value: Buffer.from(JSON.stringify(blob)).toString('base64url') } };
    }
    case 'restoreSecret': {
      const { record, version } = store.restore(decodeBackup(parseRestoreBody(ctx.body())));
      return { status: 200, body: wire.bundle(record, version, false) };
    }
  }
}
