import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { createCertificates } from '../../src/emulator/certificates';

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
  const shell = [
    'ip link set lo up',
    `redis-server --port ${redisPort} --save "" --appendonly no --daemonize yes --logfile /dev/null`,
    `node ${JSON.stringify(join(__dirname, script))}`,
    'code=$?',
    `redis-cli -p ${redisPort} shutdown nosave >/dev/null 2>&1`,
    'exit $code',
  ].join('; ');
  const { code, output } = await new Promise<{ code: number | null; output: string }>((resolve) => {
    const child = spawn('unshare', ['-rn', 'sh', '-c', shell], {
      env: {
        PATH: process.env.PATH ?? '',
        NODE_EXTRA_CA_CERTS: certs.caFile,
        APPLICATION_INSIGHTS_NO_STATSBEAT: 'true',
        REDIS_URL: `redis://127.0.0.1:${redisPort}`,
        INGEST_CERT: join(dir, 'cert.pem'),
        INGEST_KEY: join(dir, 'key.pem'),
        OUT: join(dir, 'out.json'),
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let text = '';
    child.stdout.on('data', (d: Buffer) => (text += d.toString()));
    child.stderr.on('data', (d: Buffer) => (text += d.toString()));
    child.once('exit', (exitCode) => resolve({ code: exitCode, output: text }));
  });
  if (code !== 0) throw new Error(`${basename(script, '.js')} failed (${code}):\n${output}`);
  return { result: JSON.parse(readFileSync(join(dir, 'out.json'), 'utf8')) as T, output };
}
