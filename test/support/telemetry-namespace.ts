import { readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { createCertificates } from '../../src/emulator/certificates';
import { runInLoopbackNamespace } from '../../tools/netns/loopback-namespace';

/** An Application Insights envelope as the Azure Monitor exporter sends it to ingestion. */
export interface Envelope {
  name: string;
  time?: string;
  tags?: Record<string, string>;
  data?: {
    baseType?: string;
    baseData?: {
      id?: string;
      name?: string;
      message?: string;
      properties?: Record<string, string>;
      metrics?: Array<{ name: string; value: number }>;
    };
  };
}

/**
 * Runs a telemetry child script (test/support/*-child.js) in a child process inside a network namespace
 * of its own: only loopback exists there, so the distro's metadata probe to 169.254.169.254 cannot leave
 * the machine. The child gets a Redis of its own on `redisPort`, a certificate in `dir` for its fake
 * ingestion endpoint (INGEST_CERT, INGEST_KEY) whose CA Node trusts, and `env`; what it writes to OUT
 * (`dir`/out.json) is the result. A failed child fails with its output.
 */
export async function runTelemetryChild<T>(
  script: string,
  dir: string,
  redisPort: number,
  env: Record<string, string> = {},
): Promise<{ result: T; output: string }> {
  const certs = await createCertificates(dir);
  writeFileSync(join(dir, 'cert.pem'), certs.certPem);
  writeFileSync(join(dir, 'key.pem'), certs.keyPem);
  const run = await runInLoopbackNamespace({
    script: join(__dirname, script),
    redisPort,
    env: {
      NODE_EXTRA_CA_CERTS: certs.caFile,
      APPLICATION_INSIGHTS_NO_STATSBEAT: 'true',
      REDIS_URL: `redis://127.0.0.1:${redisPort}`,
      INGEST_CERT: join(dir, 'cert.pem'),
      INGEST_KEY: join(dir, 'key.pem'),
      OUT: join(dir, 'out.json'),
      ...env,
    },
  });
  const { code } = run;
  const output = run.stdout + run.stderr;
  if (code !== 0) throw new Error(`${basename(script, '.js')} failed (${code}):\n${output}`);
  return { result: JSON.parse(readFileSync(join(dir, 'out.json'), 'utf8')) as T, output };
}
