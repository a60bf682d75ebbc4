import { spawn, spawnSync } from 'node:child_process';
import { get as httpsGet } from 'node:https';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { SecretClient } from '@azure/keyvault-secrets';
import { readFileSync } from 'node:fs';
import { clientOptionsTrusting, staticTokenCredential } from '../../src/vault';

const BIN = join(__dirname, '..', '..', 'bin', 'rotator.js');

describe('rotator emulator (as a process)', () => {
  it('prints one JSON line with url and caFile, serves the real SDK, and exits 0 on SIGTERM', async () => {
    const child = spawn(process.execPath, [BIN, 'emulator', '--port', '0'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const firstLine = await new Promise<string>((resolve, reject) => {
      createInterface({ input: child.stdout }).once('line', resolve);
      child.once('exit', (code) => reject(new Error(`emulator exited early with ${code}`)));
    });
    const { url, caFile } = JSON.parse(firstLine) as { url: string; caFile: string };
    expect(url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const client = new SecretClient(
      url,
      staticTokenCredential('dev'),
      clientOptionsTrusting(readFileSync(caFile, 'utf8'), { disableChallengeResourceVerification: true }),
    );
    await client.setSecret('cli-check', 'abc');
    expect((await client.getSecret('cli-check')).value).toBe('abc');
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });

  it('takes fault injection from flags, visible on its admin endpoint', async () => {
    const child = spawn(
      process.execPath,
      [
        BIN,
        'emulator',
        '--port',
        '0',
        '--throttle-budget',
        '300',
        '--no-retry-after',
        '--error-rate',
        '0.3',
        '--latency',
        '5',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const firstLine = await new Promise<string>((resolve, reject) => {
      createInterface({ input: child.stdout }).once('line', resolve);
      child.once('exit', (code) => reject(new Error(`emulator exited early with ${code}`)));
    });
    const { url, caFile } = JSON.parse(firstLine) as { url: string; caFile: string };
    const faults = await new Promise<string>((resolve, reject) => {
      httpsGet(`${url}/_emulator/faults`, { ca: readFileSync(caFile) }, (res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () => resolve(body));
      }).on('error', reject);
    });
    expect(JSON.parse(faults)).toMatchObject({
      throttleBudget: 300,
      throttleWindowMs: 10_000,
      throttleRetryAfter: false,
      errorRate: 0.3,
      latencyMs: 5,
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });

  it('rejects an error rate outside 0..1 with exit 2', () => {
    const result = spawnSync(process.execPath, [BIN, 'emulator', '--error-rate', '2'], { encoding: 'utf8' });
    expect(result.status).toBe(2);
    expect(result.stderr).toContain("'2' is not a fraction from 0 to 1");
  });

  it('rejects a bad port with exit 2 and a one-line message naming the fix', () => {
    const result = spawnSync(process.execPath, [BIN, 'emulator', '--port', 'eighty'], { encoding: 'utf8' });
    expect(result.status).toBe(2);
    expect(result.stderr).toContain("'eighty' is not a TCP port");
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  it('answers --help with exit 0 and an example', () => {
    const result = spawnSync(process.execPath, [BIN, 'emulator', '--help'], { encoding: 'utf8' });
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('Example:');
  });

  it('rejects an unknown command with exit 2', () => {
    const result = spawnSync(process.execPath, [BIN, 'frobnicate'], { encoding: 'utf8' });
    expect(result.status).toBe(2);
    expect(result.stderr).toContain("unknown command 'frobnicate'");
  });
});

describe('rotator config (as a process)', () => {
  it('prints the effective configuration as JSON with secrets masked', () => {
    const result = spawnSync(process.execPath, [BIN, 'config', '--output', 'json'], {
      encoding: 'utf8',
      env: { ...process.env, REDIS_URL: 'redis://:hunter2@127.0.0.1:6379', ROTATOR_VAULT_TOKEN: 'tok3n' },
    });
    expect(result.status).toBe(0);
    const config = JSON.parse(result.stdout) as Record<string, unknown>;
    expect(config).toMatchObject({ rotationInterval: 'P13D', usageGrace: 'PT30M', healthPort: 8080 });
    expect(result.stdout).not.toContain('hunter2');
    expect(result.stdout).not.toContain('tok3n');
  });

  it('stops with exit 2 and one line naming the variable, the value and the fix', () => {
    const result = spawnSync(process.execPath, [BIN, 'config'], {
      encoding: 'utf8',
      env: { ...process.env, ROTATOR_USAGE_GRACE: 'PT9H' },
    });
    expect(result.status).toBe(2);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toContain("ROTATOR_USAGE_GRACE='PT9H'");
    expect(result.stderr).toContain('at most PT8H');
  });

  it('rejects an unknown output format with exit 2', () => {
    const result = spawnSync(process.execPath, [BIN, 'config', '--output', 'yaml'], { encoding: 'utf8' });
    expect(result.status).toBe(2);
  });
});
