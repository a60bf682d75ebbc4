import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Deployment, type IDeployment } from 'kubernetes-models/apps/v1';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { ConfigMap, ServiceAccount } from 'kubernetes-models/v1';
import { REPO_ROOT, kubernetesDocuments, readYaml, type ManifestDocument } from '../support/deployment-files';

const BASE = 'deploy/kubernetes/base';

/** The kubernetes-models class of each kind the base uses; an unknown kind fails the test. */
const MODELS: Record<string, (doc: Record<string, unknown>) => { validate(): void }> = {
  'apps/v1/Deployment': (d) => new Deployment(d),
  'policy/v1/PodDisruptionBudget': (d) => new PodDisruptionBudget(d),
  'v1/ServiceAccount': (d) => new ServiceAccount(d),
  'v1/ConfigMap': (d) => new ConfigMap(d),
};

function byKind(docs: ManifestDocument[], kind: string): Record<string, unknown> {
  const found = docs.filter((d) => d.doc['kind'] === kind);
  expect(found).toHaveLength(1);
  return (found[0] as ManifestDocument).doc;
}

describe('Kubernetes base (kustomize)', () => {
  const docs = kubernetesDocuments(BASE);

  it('every manifest validates with kubernetes-models', () => {
    expect(docs.length).toBeGreaterThanOrEqual(4);
    for (const { path, doc } of docs) {
      const key = `${String(doc['apiVersion'])}/${String(doc['kind'])}`;
      const model = MODELS[key];
      expect({ path, key, known: model !== undefined }).toEqual({ path, key, known: true });
      expect(() => model?.(doc).validate()).not.toThrow();
    }
  });

  it('the validation does reject a malformed manifest (so a pass means something)', () => {
    const bad = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'x' },
      spec: { replicas: 'two' },
    };
    expect(() => new Deployment(bad as never).validate()).toThrow();
  });

  it('kustomization.yaml lists every manifest file of the base, and each exists', () => {
    const kustomization = readYaml(`${BASE}/kustomization.yaml`) as { resources: string[] };
    for (const r of kustomization.resources) expect(existsSync(join(REPO_ROOT, BASE, r))).toBe(true);
    expect(new Set(kustomization.resources.map((r) => `${BASE}/${r}`))).toEqual(
      new Set(docs.map((d) => d.path)),
    );
  });

  it('runs the daemon non-root on a read-only root filesystem, no capabilities, /tmp an emptyDir, with resources', () => {
    const deployment = byKind(docs, 'Deployment') as unknown as IDeployment;
    const pod = deployment.spec?.template.spec;
    expect(pod?.securityContext?.runAsNonRoot).toBe(true);
    expect(pod?.securityContext?.runAsUser).not.toBe(0);
    expect(pod?.containers).toHaveLength(1);
    const container = pod?.containers[0];
    expect(container?.args).toEqual(['daemon']);
    expect(container?.securityContext).toMatchObject({
      runAsNonRoot: true,
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] },
    });
    const tmp = container?.volumeMounts?.find((m) => m.mountPath === '/tmp');
    expect(pod?.volumes?.find((v) => v.name === tmp?.name)?.emptyDir).toBeDefined();
    expect(Object.keys(container?.resources?.requests ?? {}).sort()).toEqual(['cpu', 'memory']);
    expect(container?.resources?.limits?.['memory']).toBeDefined();
    expect(deployment.spec?.replicas).toBeGreaterThanOrEqual(1);
  });

  it('uses Azure workload identity: annotated ServiceAccount, labelled pods, the Deployment runs as it', () => {
    const account = byKind(docs, 'ServiceAccount') as {
      metadata: { name: string; annotations: Record<string, string> };
    };
    expect(account.metadata.annotations['azure.workload.identity/client-id']).toMatch(/^[0-9a-f-]{36}$/);
    const deployment = byKind(docs, 'Deployment') as unknown as IDeployment;
    expect(deployment.spec?.template.spec?.serviceAccountName).toBe(account.metadata.name);
    expect(deployment.spec?.template.metadata?.labels?.['azure.workload.identity/use']).toBe('true');
  });

  it('has a PodDisruptionBudget that selects the daemon’s pods and keeps one', () => {
    const pdb = byKind(docs, 'PodDisruptionBudget') as {
      spec: { minAvailable: number; selector: { matchLabels: Record<string, string> } };
    };
    const deployment = byKind(docs, 'Deployment') as unknown as IDeployment;
    expect(pdb.spec.minAvailable).toBe(1);
    expect(deployment.spec?.template.metadata?.labels).toMatchObject(pdb.spec.selector.matchLabels);
    expect(deployment.spec?.selector.matchLabels).toEqual(pdb.spec.selector.matchLabels);
  });

  it('feeds the container the ConfigMap of the contract’s environment', () => {
    const configMap = byKind(docs, 'ConfigMap') as { metadata: { name: string } };
    const deployment = byKind(docs, 'Deployment') as unknown as IDeployment;
    const envFrom = deployment.spec?.template.spec?.containers[0]?.envFrom ?? [];
    expect(envFrom.map((e) => e.configMapRef?.name)).toContain(configMap.metadata.name);
  });
});

describe('docker-compose local stack', () => {
  interface Service {
    image?: string;
    command?: string[];
    entrypoint?: string[];
    environment?: Record<string, string>;
    network_mode?: string;
    read_only?: boolean;
  }
  const compose = readYaml('deploy/docker-compose.yml') as { services: Record<string, Service> };
  const services = compose.services;

  it('runs Redis with maxmemory-policy noeviction', () => {
    expect(services['redis']?.command?.join(' ')).toContain('--maxmemory-policy noeviction');
  });

  it('runs the emulator as `rotator emulator --port 8443 --data /data/vault.json`', () => {
    expect(services['emulator']?.command).toEqual([
      'emulator',
      '--port',
      '8443',
      '--data',
      '/data/vault.json',
    ]);
  });

  it('runs the daemon read-only, next to the emulator, with an OTLP viewer to send telemetry to', () => {
    const daemon = services['daemon'] as Service;
    expect(daemon.entrypoint?.join(' ')).toContain('exec rotator daemon');
    expect(daemon.read_only).toBe(true);
    expect(daemon.network_mode).toBe('service:emulator');
    const otlp = new URL(daemon.environment?.['OTEL_EXPORTER_OTLP_ENDPOINT'] ?? '');
    expect(Object.keys(services)).toContain(otlp.hostname);
  });

  it('sends the dashboard OTLP over HTTP protobuf, on the port where the dashboard takes OTLP/HTTP', () => {
    const daemon = services['daemon'] as Service;
    expect(daemon.environment?.['OTEL_EXPORTER_OTLP_PROTOCOL']).toBe('http/protobuf');
    const otlp = new URL(daemon.environment?.['OTEL_EXPORTER_OTLP_ENDPOINT'] ?? '');
    const dashboard = services[otlp.hostname] as Service;
    const httpOtlp = new URL(dashboard.environment?.['DOTNET_DASHBOARD_OTLP_HTTP_ENDPOINT_URL'] ?? '');
    expect(otlp.port).toBe(httpOtlp.port);
  });
});
