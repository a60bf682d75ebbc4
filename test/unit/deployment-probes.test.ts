import type { IDeployment } from 'kubernetes-models/apps/v1';
import { loadConfig } from '../../src/config';
import { startHealthServer, type HealthServer } from '../../src/health';
import {
  bicepText,
  dockerInstructions,
  isObject,
  kubernetesDocuments,
  loadBicepFiles,
  readYaml,
  repoFile,
  type BicepObject,
} from '../support/deployment-files';

interface Probe {
  where: string;
  kind: 'liveness' | 'readiness';
  path: string;
  port: number;
}

const HEALTH_PORT = loadConfig({}).healthPort;

async function bicepProbes(): Promise<Probe[]> {
  return (await loadBicepFiles()).flatMap((f) =>
    f.objects
      .filter((o) => (o['type'] === 'Liveness' || o['type'] === 'Readiness') && isObject(o['httpGet']))
      .map((o) => {
        const httpGet = o['httpGet'] as BicepObject;
        return {
          where: f.path,
          kind: o['type'] === 'Liveness' ? ('liveness' as const) : ('readiness' as const),
          path: bicepText(httpGet['path']),
          port: Number(httpGet['port']),
        };
      }),
  );
}

function kubernetesProbes(): Probe[] {
  return kubernetesDocuments()
    .filter((d) => d.doc['kind'] === 'Deployment')
    .flatMap(({ path, doc }) =>
      ((doc as unknown as IDeployment).spec?.template.spec?.containers ?? []).flatMap((c) => [
        {
          where: path,
          kind: 'liveness' as const,
          path: c.livenessProbe?.httpGet?.path ?? '',
          port: Number(c.livenessProbe?.httpGet?.port),
        },
        {
          where: path,
          kind: 'readiness' as const,
          path: c.readinessProbe?.httpGet?.path ?? '',
          port: Number(c.readinessProbe?.httpGet?.port),
        },
      ]),
    );
}

describe('probe paths and ports match the health server', () => {
  let server: HealthServer;
  beforeAll(async () => {
    server = await startHealthServer({
      port: 0,
      host: '127.0.0.1',
      checks: { redis: () => Promise.resolve() },
      accepting: () => true,
    });
  });
  afterAll(() => server.close());

  it('the config’s default health port is 8080', () => {
    expect(HEALTH_PORT).toBe(8080);
  });

  it('Bicep and Kubernetes probe /healthz (liveness) and /readyz (readiness) on the default health port', async () => {
    const probes = [...(await bicepProbes()), ...kubernetesProbes()];
    expect(probes.filter((p) => p.where.startsWith('bicep/'))).toHaveLength(2);
    expect(probes.filter((p) => p.where.startsWith('deploy/'))).toHaveLength(2);
    for (const p of probes) {
      expect(p).toEqual({ ...p, path: p.kind === 'liveness' ? '/healthz' : '/readyz', port: HEALTH_PORT });
    }
  });

  it('each probed path answers 200 from the real health server', async () => {
    const paths = new Set([...(await bicepProbes()), ...kubernetesProbes()].map((p) => p.path));
    for (const path of paths) {
      const response = await fetch(`http://127.0.0.1:${server.port}${path}`);
      expect({ path, status: response.status }).toEqual({ path, status: 200 });
    }
  });

  it('the Kubernetes container port, the Dockerfile EXPOSE and the compose port mapping are the health port', () => {
    const deployment = kubernetesDocuments().find((d) => d.doc['kind'] === 'Deployment')
      ?.doc as unknown as IDeployment;
    expect(deployment.spec?.template.spec?.containers[0]?.ports?.map((p) => p.containerPort)).toEqual([
      HEALTH_PORT,
    ]);
    const expose = dockerInstructions(repoFile('Dockerfile')).filter((i) => i.keyword === 'EXPOSE');
    expect(expose.map((i) => i.args.trim())).toEqual([String(HEALTH_PORT)]);
    const compose = readYaml('deploy/docker-compose.yml') as {
      services: Record<string, { ports?: string[] }>;
    };
    expect(compose.services['emulator']?.ports).toContain(`${HEALTH_PORT}:${HEALTH_PORT}`);
  });
});
