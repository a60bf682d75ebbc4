import { join } from 'node:path';
import { REPO_ROOT } from '../support/deployment-files';
import { CONFIG_VARIABLES, loadConfig } from '../../src/config';
import { QUEUE } from '../../src/scheduling';
import {
  BicepExpression,
  bicepText,
  IDENTITY_VARIABLES,
  NODE_VARIABLES,
  dockerInstructions,
  isObject,
  isTelemetryVariable,
  kubernetesDocuments,
  loadBicepFiles,
  readYaml,
  repoFile,
  type BicepFile,
  type BicepValue,
} from '../support/deployment-files';

/** Every variable a deployment file may set: the config module's, identity, telemetry, Node's own. */
function known(name: string): boolean {
  return (
    (CONFIG_VARIABLES as string[]).includes(name) ||
    (IDENTITY_VARIABLES as readonly string[]).includes(name) ||
    (NODE_VARIABLES as readonly string[]).includes(name) ||
    isTelemetryVariable(name)
  );
}

interface EnvEntry {
  name: string;
  value: BicepValue | undefined;
  secretRef: BicepValue | undefined;
}

/** `env: [{name, value|secretRef}]` of every container in the Bicep files. */
function bicepEnv(files: BicepFile[]): { file: BicepFile; entries: EnvEntry[] }[] {
  return files.map((file) => ({
    file,
    entries: file.objects.flatMap((o) => {
      const env = o['env'];
      if (!Array.isArray(env)) return [];
      return env.filter(isObject).map((e) => ({
        name: bicepText(e['name']),
        value: e['value'],
        secretRef: e['secretRef'],
      }));
    }),
  }));
}

/** Resolves `param` references, `string(param)` and `'…${param}…'` with the parameters' literal defaults. */
function resolve(file: BicepFile, value: BicepValue | undefined): string | undefined {
  if (typeof value === 'string' || typeof value === 'number') return String(value);
  if (!(value instanceof BicepExpression)) return undefined;
  const defaults = new Map(
    file.parameters
      .filter((p) => typeof p.defaultValue === 'string' || typeof p.defaultValue === 'number')
      .map((p) => [p.name, bicepText(p.defaultValue)]),
  );
  const call = /^string\((\w+)\)$/.exec(value.text);
  const name = call?.[1] ?? value.text;
  if (defaults.has(name)) return defaults.get(name);
  if (!value.text.startsWith("'")) return undefined;
  let unresolved = false;
  const text = value.text.slice(1, -1).replace(/\$\{(\w+)\}/g, (_m, id: string) => {
    unresolved ||= !defaults.has(id);
    return defaults.get(id) ?? '';
  });
  return unresolved ? undefined : text;
}

function kubernetesEnv(): Map<string, string | undefined> {
  const env = new Map<string, string | undefined>();
  for (const { doc } of kubernetesDocuments()) {
    if (doc['kind'] === 'ConfigMap')
      for (const [k, v] of Object.entries(doc['data'] as Record<string, string>)) env.set(k, v);
    if (doc['kind'] === 'Deployment') {
      const spec = doc['spec'] as {
        template: { spec: { containers: { env?: { name: string; value?: string }[] }[] } };
      };
      for (const c of spec.template.spec.containers) for (const e of c.env ?? []) env.set(e.name, e.value);
    }
  }
  return env;
}

interface ComposeService {
  image?: string;
  environment?: Record<string, string>;
  entrypoint?: string[];
  command?: string[];
}

function composeServices(): Record<string, ComposeService> {
  return (readYaml('deploy/docker-compose.yml') as { services: Record<string, ComposeService> }).services;
}

describe('deployment environment variables are the config module’s', () => {
  it('the Bicep container sets only known variables, and sets the vault, Redis, identity and App Insights', async () => {
    const all = bicepEnv(await loadBicepFiles()).flatMap((f) => f.entries);
    expect(all.length).toBeGreaterThan(0);
    expect(all.map((e) => e.name).filter((n) => !known(n))).toEqual([]);
    const names = all.map((e) => e.name);
    for (const required of [
      'ROTATOR_VAULT_URL',
      'REDIS_URL',
      'AZURE_CLIENT_ID',
      'APPLICATIONINSIGHTS_CONNECTION_STRING',
    ])
      expect(names).toContain(required);
    // Credentials come from Container App secrets, never from a plain value.
    for (const secret of ['REDIS_URL', 'APPLICATIONINSIGHTS_CONNECTION_STRING'])
      expect(all.find((e) => e.name === secret)?.secretRef).toEqual(expect.any(String));
  });

  it('the Bicep environment, with parameter defaults filled in, passes loadConfig', async () => {
    const env: Record<string, string> = {};
    for (const { file, entries } of bicepEnv(await loadBicepFiles()))
      for (const e of entries) {
        const value = resolve(file, e.value);
        if (value !== undefined && (CONFIG_VARIABLES as string[]).includes(e.name)) env[e.name] = value;
      }
    expect(env).toMatchObject({
      ROTATOR_HEALTH_PORT: '8080',
      ROTATOR_SWEEP_INTERVAL: 'PT5M',
      ROTATOR_QUEUE_PREFIX: 'bull',
    });
    expect(() => loadConfig(env)).not.toThrow();
  });

  it('the Kubernetes ConfigMap and Deployment set only known variables, the required ones, and pass loadConfig', () => {
    const env = kubernetesEnv();
    expect([...env.keys()].filter((n) => !known(n))).toEqual([]);
    expect([...env.keys()]).toEqual(expect.arrayContaining(['ROTATOR_VAULT_URL', 'REDIS_URL']));
    const literal = Object.fromEntries([...env].filter((e): e is [string, string] => e[1] !== undefined));
    expect(() => loadConfig({ ...literal, REDIS_URL: 'rediss://redis.example:10000' })).not.toThrow();
  });

  it('compose sets only known variables on rotator containers; the daemon gets the emulator, CA, token, Redis, OTLP', () => {
    const services = composeServices();
    const rotators = Object.values(services).filter((s) => s.image?.startsWith('rotator:'));
    expect(rotators).toHaveLength(2);
    const names = rotators.flatMap((s) => Object.keys(s.environment ?? {}));
    expect(names.filter((n) => !known(n))).toEqual([]);
    const daemon = services['daemon'] as ComposeService;
    expect(Object.keys(daemon.environment ?? {})).toEqual(
      expect.arrayContaining([
        'ROTATOR_VAULT_URL',
        'ROTATOR_VAULT_TOKEN',
        'REDIS_URL',
        'OTEL_EXPORTER_OTLP_ENDPOINT',
      ]),
    );
    // The CA path is only known at run time: the entrypoint finds it and sets ROTATOR_VAULT_CA_FILE.
    expect((daemon.entrypoint ?? []).join(' ')).toMatch(/ROTATOR_VAULT_CA_FILE=.*exec rotator daemon/);
    // The policy is mounted from deploy/target-policy.yaml: it must exist and be valid.
    const policyPath = daemon.environment?.['ROTATOR_TARGET_POLICY'];
    expect(policyPath).toBe('/etc/rotator/target-policy.yaml');
    const hostPolicy = join(REPO_ROOT, 'deploy', 'target-policy.yaml');
    const env = { ...daemon.environment, ROTATOR_TARGET_POLICY: hostPolicy };
    expect(() => loadConfig(env)).not.toThrow();
    expect(loadConfig(env).targetPolicy?.postgres?.servers).toHaveLength(1);
  });

  it('the Dockerfile sets only known variables', () => {
    const names = dockerInstructions(repoFile('Dockerfile'))
      .filter((i) => i.keyword === 'ENV')
      .flatMap((i) => [...i.args.matchAll(/([A-Z_][A-Z0-9_]*)=/g)].map((m) => m[1] as string));
    expect(names.length).toBeGreaterThan(0);
    expect(names.filter((n) => !known(n))).toEqual([]);
  });

  it('the scale rule watches BullMQ’s waiting list of the rotation queue under the default prefix', async () => {
    const files = await loadBicepFiles();
    const metadata = files.flatMap((f) =>
      f.objects.filter((o) => o['type'] === 'redis' && isObject(o['metadata'])).map((o) => o['metadata']),
    );
    expect(metadata).toHaveLength(1);
    const listName = (metadata[0] as Record<string, BicepValue>)['listName'];
    expect(listName).toBeInstanceOf(BicepExpression);
    expect((listName as BicepExpression).text).toBe(`'\${queuePrefix}:${QUEUE.rotations}:wait'`);
    const prefixDefaults = files.flatMap((f) =>
      f.parameters.filter((p) => p.name === 'queuePrefix').map((p) => p.defaultValue),
    );
    expect(new Set(prefixDefaults)).toEqual(new Set([loadConfig({}).queuePrefix]));
  });
});
