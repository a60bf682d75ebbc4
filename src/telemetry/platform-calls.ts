/**
 * Hosts only the Azure Monitor distro itself calls: the instance metadata service (its resource
 * detector's VM probe) and its settings service. Where they do not answer (a platform without VM
 * metadata, a locked-down network), each daemon start exported a failed dependency and an exception
 * that the rotator never made, noise an operator at 3 a.m. would have to rule out.
 */
const PLATFORM_HOSTS = new Set(['169.254.169.254', 'settings.sdk.monitor.azure.com']);

/** What Node's HTTP instrumentation hands its outgoing-request hook: the request's options. */
export interface OutgoingRequest {
  hostname?: string | null;
  host?: string | null;
}

/** True for the distro's own platform calls, which its HTTP instrumentation then does not trace. */
export function isPlatformCall(request: OutgoingRequest): boolean {
  const host = request.hostname ?? request.host ?? '';
  // `host` may carry a port; a bracketed IPv6 literal is never one of these hosts.
  return PLATFORM_HOSTS.has(host.replace(/:\d+$/, '').toLowerCase());
}
