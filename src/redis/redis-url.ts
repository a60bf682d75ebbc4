/**
 * A Redis URL as it may be shown (logs, errors, `rotator config`): the user and password, if any,
 * become `***`. Parsed, not pattern-matched, so no spelling of the userinfo slips through; a URL that
 * does not parse is not shown at all.
 */
export function maskRedisUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return '(unparseable URL)';
  }
  if (url.username === '' && url.password === '') return text;
  url.username = '***';
  url.password = '';
  return url.href;
}
