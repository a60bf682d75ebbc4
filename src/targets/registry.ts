import { DefaultAzureCredential, type TokenCredential } from '@azure/identity';
import type { Config } from '../config';
import { RotatorError } from '../errors';
import type { RotationTarget, TargetLookup } from '../rotation';
import { createEntraAppTarget } from './entra-app';
import { createEntraUserTarget } from './entra-user';
import { GraphClient } from './graph';
import {
  credentialTokenProvider,
  GraphDirectoryMembership,
  type DirectoryMembership,
} from './graph/directory-membership';
import { GRAPH_VERSION, graphEndpoint } from './graph/graph-transport';
import { createKeyVaultTarget } from './keyvault';
import { guardEntraTarget } from './policy-guard';
import { createPostgresTarget } from './postgres';

/** The values of `rotation-target` this build supports: one folder each under src/targets. */
export const TARGET_KINDS = ['keyvault', 'postgres', 'entra-app', 'entra-user'] as const;
type TargetKind = (typeof TARGET_KINDS)[number];

function isTargetKind(kind: string): kind is TargetKind {
  return (TARGET_KINDS as readonly string[]).includes(kind);
}

interface TargetRegistryOptions {
  /** The identity that calls Microsoft Graph; DefaultAzureCredential (managed identity) by default. */
  graphCredential?: TokenCredential;
  /** Injected for tests whose fake Graph uses a private CA. */
  fetch?: typeof fetch;
}

type RegistryConfig = Pick<Config, 'graphUrl' | 'authorityHost' | 'tenantId' | 'targetPolicy'>;
type Builders = Record<TargetKind, () => RotationTarget>;

/** Makes a value on first use and keeps it. */
function once<T>(make: () => T): () => T {
  let made: { value: T } | undefined;
  return () => (made ??= { value: make() }).value;
}

function tenantOf(config: RegistryConfig): string {
  if (config.tenantId === undefined) {
    throw new RotatorError('TARGET_MISCONFIGURED', 'Entra targets need the tenant id', {
      hint: 'set AZURE_TENANT_ID to the directory of the managed applications and users',
      permanent: true,
    });
  }
  return config.tenantId;
}

/** The Entra targets, guarded before they are built: without a policy entry no tenant or Graph identity is needed. */
function entraBuilders(
  config: RegistryConfig,
  options: TargetRegistryOptions,
): Pick<Builders, 'entra-app' | 'entra-user'> {
  const policy = config.targetPolicy;
  const graph = once(
    () =>
      // config.graphUrl is Graph's root (https://graph.microsoft.com); the client adds /v1.0.
      new GraphClient({
        baseUrl: config.graphUrl,
        credential: options.graphCredential ?? new DefaultAzureCredential(),
        fetch: options.fetch,
      }),
  );
  const directoryMembership = once<DirectoryMembership>(
    () =>
      new GraphDirectoryMembership({
        // Standalone (plain fetch) next to the Graph client: three read-only look-ups for the policy.
        baseUrl: `${graphEndpoint(config.graphUrl).root}/${GRAPH_VERSION}`,
        tokenProvider: credentialTokenProvider(options.graphCredential ?? new DefaultAzureCredential()),
        fetch: options.fetch,
      }),
  );
  const { authorityHost } = config;
  return {
    'entra-app': () =>
      guardEntraTarget(
        policy?.['entra-app'] === undefined
          ? refusedTarget('entra-app')
          : createEntraAppTarget({ graph: graph(), tenantId: tenantOf(config), authorityHost }),
        policy,
      ),
    'entra-user': () =>
      guardEntraTarget(
        policy?.['entra-user'] === undefined
          ? refusedTarget('entra-user')
          : createEntraUserTarget({
              graph: graph(),
              tenantId: tenantOf(config),
              authorityHost,
              fetch: options.fetch,
            }),
        policy,
        directoryMembership,
      ),
  };
}

/**
 * Builds each target once, on first use, so a daemon that manages no Entra secrets never needs a
 * tenant or a Graph identity.
 */
export function createTargetRegistry(
  config: RegistryConfig,
  options: TargetRegistryOptions = {},
): TargetLookup {
  const build: Builders = {
    keyvault: () => createKeyVaultTarget(),
    postgres: () => createPostgresTarget({ policy: config.targetPolicy }),
    ...entraBuilders(config, options),
  };
  const built = new Map<TargetKind, RotationTarget>();
  const lookup = (kind: string): RotationTarget | undefined => {
    if (!isTargetKind(kind)) return undefined;
    let target = built.get(kind);
    if (target === undefined) {
      target = build[kind]();
      built.set(kind, target);
    }
    return target;
  };
  return Object.assign(lookup, { kinds: TARGET_KINDS });
}

/** A stand-in for an Entra target the policy does not allow at all: the guard refuses before any call. */
function refusedTarget(kind: 'entra-app' | 'entra-user'): RotationTarget {
  const never = (): Promise<never> =>
    Promise.reject(
      new RotatorError('SECRET_MISCONFIGURED', `${kind} is not allowed`, {
        hint: 'unreachable',
        permanent: true,
      }),
    );
  return {
    kind,
    policy: undefined,
    external: true,
    requiredTags: ['rotation-account'],
    apply: never,
    verify: never,
    retire: never,
  };
}
