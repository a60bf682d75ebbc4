import { getBounded } from '../http';

/** Small bounded GETs of JSON (discovery documents, key sets), trusting an extra CA when given. */
export async function getText(
  url: string,
  options: { ca?: string; timeoutMs?: number; headers?: Record<string, string>; signal?: AbortSignal } = {},
): Promise<{ status: number; body: string }> {
  const target = new URL(url);
  const answer = await getBounded(target, {
    ...options,
    timeoutMs: options.timeoutMs ?? 5_000,
    // A key set or a discovery document is a few KB; anything huge is not one.
    maxBytes: 1_000_000,
    tooLarge: `${target.origin} sent more than 1 MB`,
  });
  return { status: answer.status ?? 0, body: answer.body.toString('utf8') };
}
