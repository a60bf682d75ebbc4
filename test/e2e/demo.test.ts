import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';

// Built by `npm run build:tools` (npm test's pretest does it), outside the published dist.
const DEMO = join(__dirname, '..', '..', 'build', 'tools', 'demo', 'main.js');
const REDIS_URL = 'redis://127.0.0.1:6379/9';

describe('npm run demo (the embedded default, as a process)', () => {
  const cwd = mkdtempSync(join(tmpdir(), 'rotator-demo-'));

  afterAll(async () => {
    const redis = new Redis(REDIS_URL);
    await redis.flushdb();
    redis.disconnect();
    rmSync(cwd, { recursive: true, force: true });
  });

  it('rotates a secret within its first minute and stops cleanly on SIGINT', async () => {
    const child = spawn(process.execPath, [DEMO], {
      cwd,
      env: {
        PATH: process.env.PATH ?? '',
        REDIS_URL,
        ROTATOR_QUEUE_PREFIX: `demo-${randomUUID().slice(0, 8)}`,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    const deadline = Date.now() + 60_000;
    while (!/rotation job done .*outcome=rotated/.test(output)) {
      if (child.exitCode !== null) throw new Error(`demo exited early: ${output}`);
      if (Date.now() > deadline) throw new Error(`no rotation within a minute:\n${output}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(output).toContain('npx rotator status');
    // Zero standing access, shown: bob asks, cannot approve himself, carol approves, bob checks out,
    // and the forced rotation follows after the demo's grace (20 s).
    const shows = async (pattern: RegExp): Promise<void> => {
      const until = Date.now() + 90_000;
      while (!pattern.test(output)) {
        if (child.exitCode !== null || Date.now() > until)
          throw new Error(`the demo did not show ${String(pattern)}:\n${output}`);
        await new Promise((r) => setTimeout(r, 200));
      }
    };
    await shows(/bob tries to check svc-payroll-db out without approval: APPROVAL_REQUIRED/);
    await shows(/bob cannot approve his own request: ROLE_MISSING/);
    await shows(/carol approves it: approved until /);
    await shows(/bob checks svc-payroll-db out \(\d+ characters, not shown\)/);
    await shows(/rotation job done {2}secret=svc-payroll-db reason=usage outcome=rotated/);
    expect(output).not.toContain('seeded-by-demo');
    child.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(output).toContain('demo: stopped');
  }, 240_000);

  it('says how to start Redis and exits 2 when Redis is not reachable', async () => {
    const child = spawn(process.execPath, [DEMO], {
      cwd,
      env: { PATH: process.env.PATH ?? '', REDIS_URL: 'redis://127.0.0.1:1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code).toBe(2);
    expect(output).toContain('redis-server --daemonize yes');
  });
});
