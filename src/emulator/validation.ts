import { badParameter } from './errors';
import type { SetInput, UpdateInput } from './store';

/** Key Vault's documented limits; SDK 4.12 stopped validating names, so the emulator must. */
const LIMITS = {
  /** 25 KB of UTF-8, as the service counts it (its message says characters; the limit is bytes). */
  valueBytes: 25 * 1024,
  contentTypeChars: 255,
  tags: 15,
  tagNameChars: 512,
  tagValueChars: 512,
} as const;

const NAME = /^[0-9a-zA-Z-]{1,127}$/;
const VERSION = /^[0-9a-fA-F]{32}$/;

export function validateName(name: string): void {
  if (!NAME.test(name)) {
    // The service's text; the rule is 1-127 of [0-9a-zA-Z-].
    throw badParameter(`The request URI contains an invalid name: ${name.slice(0, 130)}`);
  }
}

/** An unknown-but-well-formed version is a 404 later; a malformed one is the caller's mistake. */
export function validateVersion(version: string): void {
  if (!VERSION.test(version)) throw badParameter(`The request URI contains an invalid version: ${version}.`);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function optionalUnixSeconds(attrs: Record<string, unknown>, key: string): number | undefined {
  const v = attrs[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v))
    throw badParameter(`attributes.${key} must be integer Unix seconds.`);
  return v;
}

function parseContentType(body: Record<string, unknown>): string | undefined {
  const ct = body['contentType'];
  if (ct === undefined || ct === null) return undefined;
  if (typeof ct !== 'string') throw badParameter('contentType must be a string.');
  if (ct.length > LIMITS.contentTypeChars) {
    throw badParameter(`contentType is longer than ${LIMITS.contentTypeChars} characters.`);
  }
  return ct;
}

function parseTags(body: Record<string, unknown>): Record<string, string> | undefined {
  const tags = body['tags'];
  if (tags === undefined || tags === null) return undefined;
  if (!isObject(tags)) throw badParameter('tags must be an object of strings.');
  const entries = Object.entries(tags);
  if (entries.length > LIMITS.tags) throw badParameter(`A secret may carry at most ${LIMITS.tags} tags.`);
  const out: Record<string, string> = {};
  for (const [k, v] of entries) {
    if (typeof v !== 'string') throw badParameter(`Tag ${k.slice(0, 64)} must have a string value.`);
    if (k.length === 0 || k.length > LIMITS.tagNameChars) {
      throw badParameter(`Tag names must be 1 to ${LIMITS.tagNameChars} characters.`);
    }
    if (v.length > LIMITS.tagValueChars) {
      throw badParameter(`Tag values must be at most ${LIMITS.tagValueChars} characters.`);
    }
    out[k] = v;
  }
  return out;
}

function parseAttributes(body: Record<string, unknown>): Pick<UpdateInput, 'enabled' | 'nbf' | 'exp'> {
  const attrs = body['attributes'];
  if (attrs === undefined || attrs === null) return {};
  if (!isObject(attrs)) throw badParameter('attributes must be an object.');
  const enabled = attrs['enabled'];
  if (enabled !== undefined && enabled !== null && typeof enabled !== 'boolean') {
    throw badParameter('attributes.enabled must be a boolean.');
  }
  const nbf = optionalUnixSeconds(attrs, 'nbf');
  const exp = optionalUnixSeconds(attrs, 'exp');
  return {
    ...(typeof enabled === 'boolean' && { enabled }),
    ...(nbf !== undefined && { nbf }),
    ...(exp !== undefined && { exp }),
  };
}

export function parseUpdateBody(body: unknown): UpdateInput {
  if (!isObject(body)) throw badParameter('The request body must be a JSON object.');
  const contentType = parseContentType(body);
  const tags = parseTags(body);
  return {
    ...parseAttributes(body),
    ...(contentType !== undefined && { contentType }),
    ...(tags !== undefined && { tags }),
  };
}

export function parseSetBody(body: unknown): SetInput {
  if (!isObject(body)) throw badParameter('The request body must be a JSON object.');
  const value = body['value'];
  if (typeof value !== 'string') throw badParameter('Property value is required and must be a string.');
  if (Buffer.byteLength(value, 'utf8') > LIMITS.valueBytes) {
    throw badParameter(`Secret is beyond the maximum permitted length of ${LIMITS.valueBytes} characters.`);
  }
  return { value, ...parseUpdateBody(body) };
}

export function parseRestoreBody(body: unknown): string {
  if (!isObject(body) || typeof body['value'] !== 'string') {
    throw badParameter('Property value (the backup blob) is required.');
  }
  return body['value'];
}

/** Key Vault caps list pages at 25; anything else is rejected rather than silently clamped. */
export function parseMaxResults(raw: string | null): number {
  if (raw === null || raw === '') return 25;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 25) {
    throw badParameter('maxresults must be an integer between 1 and 25.');
  }
  return n;
}
