import { badParameter } from './errors';
import { parseMaxResults } from './validation';

/**
 * A list in the order pages walk it. `after` returns the index of the first item past the marker
 * (the last item a previous page showed), so a page resumes by position in the data, not by count:
 * a secret added between two pages is listed once, and one removed makes nothing else skip.
 */
export interface PagedList<T> {
  items: readonly T[];
  markerOf(item: T): string;
  after(marker: string): number;
}

export interface PageRequest {
  baseUrl: string;
  /** Path of the list, already encoded. */
  path: string;
  query: URLSearchParams;
  apiVersion: string;
  /** Answer an empty page that still carries a nextLink, as the service sometimes does. */
  emptyPage?: boolean;
}

interface Page<W> {
  value: W[];
  nextLink: string | null;
}

/** The service's tokens are base64 of a JSON object holding a NextMarker; ours have the same shape. */
export function encodeSkipToken(marker: string): string {
  const next = Buffer.from(marker, 'utf8').toString('base64');
  return Buffer.from(JSON.stringify({ NextMarker: next, TargetLocation: 0 }), 'utf8').toString('base64url');
}

export function decodeSkipToken(token: string): string {
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { NextMarker?: unknown };
    if (typeof parsed.NextMarker !== 'string' || parsed.NextMarker === '') throw new Error('no marker');
    return Buffer.from(parsed.NextMarker, 'base64').toString('utf8');
  } catch {
    throw badParameter('The specified $skiptoken is invalid.');
  }
}

function nextLink(req: PageRequest, marker: string, max: number): string {
  const q = `api-version=${encodeURIComponent(req.apiVersion)}&$skiptoken=${encodeSkipToken(marker)}&maxresults=${max}`;
  return `${req.baseUrl}${req.path}?${q}`;
}

/** One page; only the page's own items are turned into wire form, so a 100k listing stays linear. */
export function page<T, W>(
  req: PageRequest,
  list: PagedList<T>,
  toWire: (item: T) => W | undefined,
): Page<W> {
  const max = parseMaxResults(req.query.get('maxresults'));
  const token = req.query.get('$skiptoken');
  const marker = token === null || token === '' ? undefined : decodeSkipToken(token);
  if (req.emptyPage && (marker !== undefined || list.items.length > 0)) {
    // Nothing consumed: the link resumes where this request would have started.
    const resume = marker ?? '';
    return { value: [], nextLink: resume === '' ? firstPageLink(req, max) : nextLink(req, resume, max) };
  }
  const start = marker === undefined ? 0 : list.after(marker);
  const slice = list.items.slice(start, start + max);
  const value = slice.flatMap((item) => {
    const wire = toWire(item);
    return wire === undefined ? [] : [wire];
  });
  const last = slice[slice.length - 1];
  const more = start + max < list.items.length && last !== undefined;
  return { value, nextLink: more ? nextLink(req, list.markerOf(last), max) : null };
}

function firstPageLink(req: PageRequest, max: number): string {
  return `${req.baseUrl}${req.path}?api-version=${encodeURIComponent(req.apiVersion)}&maxresults=${max}`;
}

/** First index whose key sorts after `marker`, for lists sorted by key in code-unit order. */
export function afterSortedKey<T>(items: readonly T[], keyOf: (item: T) => string, marker: string): number {
  let lo = 0;
  let hi = items.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const item = items[mid];
    if (item !== undefined && keyOf(item) <= marker) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
