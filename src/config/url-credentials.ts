/**
 * Masks the credentials of a URL by its structure: everything between `scheme://` and the last `@`
 * is userinfo (that is how URL parsers split an authority), and the query, which some clients read
 * passwords from, is dropped. A key holding `/`, `@`, `#`, `%` or `:` cannot slip past this, as it did
 * past the old `//([^@/]*)@` pattern. Used for every URL an error or log line names.
 */
export function maskUrlCredentials(text: string): string {
  const match = /^([a-z][a-z0-9+.-]*:)\/\/(.*)$/is.exec(text.trim());
  if (match === null) return '***';
  const [, scheme, rest] = match as unknown as [string, string, string];
  const at = rest.lastIndexOf('@');
  const where = (at === -1 ? rest : rest.slice(at + 1)).split(/[?#]/)[0] ?? '';
  return `${scheme}//${at === -1 ? '' : '***@'}${where}`;
}

/** 127.0.0.0/8, ::1 and localhost: the only hosts where a plaintext connection stays on this machine. */
export function isLoopback(hostname: string): boolean {
  const host = hostname.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  return host === 'localhost' || host === '::1' || /^127(\.\d{1,3}){3}$/.test(host);
}
