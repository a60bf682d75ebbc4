import { spawn, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Redis } from 'ioredis';
import { REPO_ROOT } from '../support/deployment-files';
import { freePort } from '../support/cli-process';
import { deleteKeys } from '../support/redis-scan';

jest.setTimeout(240_000);

const REDIS_URL = 'redis://127.0.0.1:6379/12';

function npm(args: string[], cwd: string): SpawnSyncReturns<string> {
  return spawnSync('npm', args, {
    cwd,
    encoding: 'utf8',
    timeout: 180_000,
    env: { ...process.env, npm_config_fund: 'false' },
  });
}

/**
 * `npm pack` of the checkout, installed into an empty directory with production dependencies alone:
 * what an operator (or the Dockerfile's runtime stage) gets. The install reads npm's cache first and
 * asks the registry only for what the cache lacks (after one run, nothing).
 */
describe('the packed package installed with production dependencies alone', () => {
  let dir: string;
  let bin: string;

  beforeAll(() => {
    expect(existsSync(join(REPO_ROOT, 'dist', 'cli', 'main.js'))).toBe(true); // `npm test` builds first
    dir = mkdtempSync(join(tmpdir(), 'rotator-install-'));
    const packed = npm(['pack', '--pack-destination', dir, '--silent'], REPO_ROOT);
    expect(packed.status).toBe(0);
    const tarball = readdirSync(dir).find((f) => f.endsWith('.tgz'));
    expect(tarball).toBeDefined();
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'install-check', private: true }));
    const common = [
      'install',
      '--omit=dev',
      '--no-audit',
      '--no-fund',
      '--no-package-lock',
      `./${tarball ?? ''}`,
    ];
    let installed = npm([...common, '--offline'], dir);
    if (installed.status !== 0) installed = npm([...common, '--prefer-offline'], dir);
    expect({ status: installed.status, stderr: installed.status === 0 ? '' : installed.stderr }).toEqual({
      status: 0,
      stderr: '',
    });
    bin = join(dir, 'node_modules', '.bin', 'rotator');
  });

  afterAll(() => {
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  it('installs no dev dependency (TypeScript, jest, the Bicep parser are absent)', () => {
    for (const dev of ['typescript', 'jest', 'ts-jest', 'tree-sitter-bicep', 'kubernetes-models'])
      expect({ dev, present: existsSync(join(dir, 'node_modules', dev)) }).toEqual({ dev, present: false });
    expect(existsSync(join(dir, 'node_modules', 'rotator', 'dist', 'cli', 'main.js'))).toBe(true);
  });

  it('`rotator --help` exits 0 and lists the commands', () => {
    const result = spawnSync(bin, ['--help'], { encoding: 'utf8', cwd: dir });
    expect(result.status).toBe(0);
    for (const command of ['daemon', 'rotate', 'checkout', 'status', 'jobs', 'retry', 'emulator'])
      expect(result.stdout).toContain(command);
  });

  it('`rotator emulator` prints its url and CA file, then exits 0 on SIGTERM', async () => {
    const emulator = await startInstalledEmulator(bin, dir);
    expect(emulator.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect(existsSync(emulator.caFile)).toBe(true);
    expect(await emulator.stop()).toBe(0);
  });

  it('`rotator daemon` against the emulator and Redis becomes healthy, then exits 0 on SIGTERM', async () => {
    const emulator = await startInstalledEmulator(bin, dir);
    const prefix = `t-install-${randomUUID().slice(0, 8)}`;
    const port = await freePort();
    const daemon = spawn(bin, ['daemon'], {
      cwd: dir,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '/tmp',
        ROTATOR_VAULT_URL: emulator.url,
        ROTATOR_VAULT_CA_FILE: emulator.caFile,
        ROTATOR_VAULT_TOKEN: 'install-check',
        REDIS_URL,
        ROTATOR_QUEUE_PREFIX: prefix,
        ROTATOR_HEALTH_PORT: String(port),
        ROTATOR_LOG_LEVEL: 'warn',
      },
    });
    let logs = '';
    daemon.stdout.on('data', (d: Buffer) => (logs += d.toString()));
    daemon.stderr.on('data', (d: Buffer) => (logs += d.toString()));
    const exited = new Promise<number | null>((resolve) => daemon.once('exit', resolve));
    try {
      const deadline = Date.now() + 30_000;
      let healthy = false;
      while (!healthy && daemon.exitCode === null && Date.now() < deadline) {
        healthy = await fetch(`http://127.0.0.1:${port}/healthz`).then(
          (r) => r.status === 200,
          () => false,
        );
        if (!healthy) await new Promise((r) => setTimeout(r, 200));
      }
      expect({ healthy, logs: healthy ? '' : logs }).toEqual({ healthy: true, logs: '' });
      daemon.kill('SIGTERM');
      expect({ code: await exited, logs: '' }).toEqual({ code: 0, logs: '' });
    } finally {
      if (daemon.exitCode === null) daemon.kill('SIGKILL');
      await emulator.stop();
      const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
      await deleteKeys(redis, `${prefix}:*`);
      await redis.quit();
    }
  });
});

async function startInstalledEmulator(
  bin: string,
  cwd: string,
): Promise<{ url: string; caFile: string; stop(): Promise<number | null> }> {
  const child = spawn(bin, ['emulator', '--port', '0'], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout }).once('line', resolve);
    void exited.then((code) => reject(new Error(`emulator exited early with ${String(code)}`)));
  });
  const { url, caFile } = JSON.parse(line) as { url: string; caFile: string };
  return {
    url,
    caFile,
    stop: () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}
