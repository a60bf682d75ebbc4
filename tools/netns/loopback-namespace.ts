import { spawn } from 'node:child_process';

export interface NamespaceRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs `node <script> <args>` in a network namespace of its own (`unshare -rn`), where only loopback
 * exists, beside a Redis of its own on `redisPort`: the Azure Monitor distro probes the instance
 * metadata address (169.254.169.254), and no test or bench may send traffic off the machine. Redis is
 * waited for before node starts (a child that connects first would see ECONNREFUSED) and shut down
 * after it, whatever the child's exit. `env` is the child's whole environment besides PATH.
 */
export function runInLoopbackNamespace(opts: {
  script: string;
  args?: readonly string[];
  redisPort: number;
  env?: Record<string, string>;
}): Promise<NamespaceRun> {
  const port = String(opts.redisPort);
  const shell = [
    'ip link set lo up',
    `redis-server --port ${port} --save "" --appendonly no --daemonize yes --logfile /dev/null`,
    `for i in $(seq 1 50); do redis-cli -p ${port} ping >/dev/null 2>&1 && break; sleep 0.1; done`,
    // The script and its arguments come as positional parameters, never spliced into the shell text.
    'node "$@"',
    'code=$?',
    `redis-cli -p ${port} shutdown nosave >/dev/null 2>&1`,
    'exit $code',
  ].join('; ');
  const child = spawn('unshare', ['-rn', 'sh', '-c', shell, 'sh', opts.script, ...(opts.args ?? [])], {
    env: { PATH: process.env.PATH ?? '', ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, stdout, stderr })));
}
