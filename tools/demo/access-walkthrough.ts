import { createApiClient } from '../../src/cli/api-client';
import { loadConfig } from '../../src/config';

interface RequestJson {
  id: string;
  state: string;
  windowEndsAt?: string;
}

interface CheckoutJson {
  checkoutId: string;
  forcedAt: string;
  value: string;
}

export interface WalkthroughOptions {
  apiUrl: string;
  apiCaFile?: string;
  tokens: { requester: string; approver: string };
  secret: string;
  say(line: string): void;
}

/**
 * Zero standing access, shown: the requester asks, a second identity approves, the requester checks the
 * secret out through the API (the usage recorded first), and the daemon's log then shows the forced
 * rotation. The value is never printed.
 */
export async function runAccessWalkthrough(options: WalkthroughOptions): Promise<void> {
  const as = (token: string): ReturnType<typeof createApiClient> =>
    createApiClient(
      loadConfig({
        ROTATOR_API_URL: options.apiUrl,
        ROTATOR_API_TOKEN: token,
        ...(options.apiCaFile !== undefined && { ROTATOR_API_CA_FILE: options.apiCaFile }),
      }).access,
    );
  const requester = as(options.tokens.requester);
  const approver = as(options.tokens.approver);
  const purpose = { reason: 'demo: payroll rerun', ticket: 'DEMO-1' };
  try {
    await requester.call('POST', `/v1/secrets/${options.secret}/checkout`, purpose);
  } catch (error) {
    options.say(
      `bob tries to check ${options.secret} out without approval: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  const request = await requester.call<RequestJson>('POST', '/v1/requests', {
    secret: options.secret,
    ...purpose,
    duration: 'PT15M',
  });
  options.say(
    `bob requests access to ${options.secret} (ticket DEMO-1): request ${request.id} is ${request.state}`,
  );
  try {
    await requester.call('POST', `/v1/requests/${request.id}/approve`, {});
  } catch (error) {
    options.say(
      `bob cannot approve his own request: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  const approved = await approver.call<RequestJson>('POST', `/v1/requests/${request.id}/approve`, {
    reason: 'ticket DEMO-1 checked',
  });
  options.say(`carol approves it: ${approved.state} until ${approved.windowEndsAt ?? ''}`);
  const checkout = await requester.call<CheckoutJson>(
    'POST',
    `/v1/secrets/${options.secret}/checkout`,
    purpose,
  );
  options.say(
    `bob checks ${options.secret} out (${checkout.value.length} characters, not shown); ` +
      `forced rotation at ${checkout.forcedAt} (checkout ${checkout.checkoutId})`,
  );
}
