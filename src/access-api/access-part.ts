import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { AccessService } from '../access/access-service';
import type { AccessObserver } from '../access/access-events';
import { RedisAccessStore } from '../access-store/redis-access-store';
import type { AccessConfig } from '../config';
import type { StartPart } from '../daemon';
import { createTokenVerifier } from '../identity/token-verifier';
import { startAccessApi } from './server';

/** The part's name: the daemon reports its port under it (`RunningDaemon.ports`). */
export const ACCESS_PART_NAME = 'access-api';

export interface AccessPartOptions {
  /** Telemetry (spans, audit records, counter); silent without it. */
  observer?: AccessObserver;
  /** An extra CA for the token issuer (tests); in production Node's own trust store and NODE_EXTRA_CA_CERTS. */
  issuerCaFile?: string;
  host?: string;
  /** Overrides ROTATOR_API_PORT (tests pass 0). */
  port?: number;
}

/**
 * The access API as one named part of the daemon's composition root: token verifier, Redis request
 * store, access service and HTTP(S) server, built from the configuration and what the daemon shares
 * (its Redis, vaults and the usage listener's recording). Undefined when ROTATOR_API_PORT is not set.
 */
export function accessPart(config: AccessConfig, options: AccessPartOptions = {}): StartPart | undefined {
  const { apiPort, issuer, audience } = config;
  if (apiPort === undefined || issuer === undefined || audience === undefined) return undefined;
  return async (ctx) => {
    const verifier = createTokenVerifier({
      issuer,
      audience,
      ...(options.issuerCaFile !== undefined && { ca: readFileSync(options.issuerCaFile, 'utf8') }),
    });
    const service = new AccessService({
      store: new RedisAccessStore(ctx.redis, ctx.prefix),
      vaults: ctx.stores,
      recordUsage: ctx.recordUsage,
      clock: ctx.clock,
      policy: { approvalTimeoutMs: config.approvalTimeout.ms, accessMaxMs: config.accessMax.ms },
      newId: () => randomUUID(),
      observer: options.observer,
    });
    const api = await startAccessApi({
      port: options.port ?? apiPort,
      host: options.host,
      tls: config.tls,
      verifier,
      service,
      logger: ctx.logger,
    });
    ctx.logger.info(
      { apiPort: api.port, https: config.tls !== undefined, issuer, audience },
      'access API listening',
    );
    // Draining stops new checkouts at once; one in flight finishes (its usage is recorded first).
    let closing: Promise<void> | undefined;
    const close = (): Promise<void> => (closing ??= api.close());
    return { name: ACCESS_PART_NAME, port: api.port, drain: close, stop: close };
  };
}
