import { execFile } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Client } from 'pg';
import { createCertificates } from '../../src/emulator/certificates';
import { freePort } from './ports';

const run = promisify(execFile);

export interface PostgresClusterOptions {
  /** How pg_hba checks passwords on 127.0.0.1: scram-sha-256 (default), or `password` (cleartext). */
  auth?: 'scram-sha-256' | 'password';
}

export interface PostgresCluster {
  host: string;
  port: number;
  /**
   * postgres://postgres:PASSWORD@127.0.0.1:PORT/postgres?sslrootcert=CA: a superuser of this cluster
   * alone, over TLS checked as verify-full (the rotator's default) against the CA the test made.
   */
  adminUrl: string;
  /** The PEM file of the CA that signed the server certificate (for 127.0.0.1 and localhost). */
  caFile: string;
  /** Runs one statement as the superuser. */
  sql(statement: string): Promise<void>;
  adminPassword: string;
  createRole(name: string, password: string): Promise<void>;
  /** Whether PostgreSQL lets the role in with this password; throws on anything but a password refusal. */
  canLogin(role: string, password: string): Promise<boolean>;
  /** Everything the server logged (it runs with log_statement=all), to prove no password reaches it. */
  serverLog(): string;
  stop(): Promise<void>;
}

/** initdb and pg_ctl of the newest installed PostgreSQL; Debian keeps them off PATH. */
async function binDir(): Promise<string> {
  const candidates: string[] = [];
  try {
    candidates.push((await run('pg_config', ['--bindir'])).stdout.trim());
  } catch {
    // pg_config ships with libpq-dev, which a server-only machine may lack.
  }
  const debianRoot = '/usr/lib/postgresql';
  if (existsSync(debianRoot)) {
    const versions = readdirSync(debianRoot)
      .filter((v) => /^\d+$/.test(v))
      .sort((a, b) => Number(b) - Number(a));
    candidates.push(...versions.map((v) => join(debianRoot, v, 'bin')));
  }
  const found = candidates.find((dir) => existsSync(join(dir, 'initdb')) && existsSync(join(dir, 'pg_ctl')));
  if (found === undefined) {
    throw new Error(
      'no initdb/pg_ctl found (pg_config --bindir, /usr/lib/postgresql/*/bin): install postgresql',
    );
  }
  return found;
}

/** PostgreSQL refuses to run as root, so a root test runs the server tools as the `postgres` user. */
function asServerUser(bin: string, args: string[]): Promise<{ stdout: string; stderr: string }> {
  if (userInfo().uid !== 0) return run(bin, args);
  return run('runuser', ['-u', 'postgres', '--', bin, ...args]);
}

function giveToServerUser(path: string): void {
  if (userInfo().uid !== 0) return;
  const passwd = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((line) => line.startsWith('postgres:'));
  const [, , uid, gid] = passwd?.split(':') ?? [];
  if (uid === undefined || gid === undefined) {
    throw new Error('running as root needs a postgres OS user (the postgresql package creates it)');
  }
  chownSync(path, Number(uid), Number(gid));
}

/**
 * A throwaway PostgreSQL cluster with scram-sha-256 everywhere, so that passwords are really checked
 * (the machine's shared server trusts every local login). Data, socket and log live in one temp dir.
 */
export async function startPostgresCluster(options: PostgresClusterOptions = {}): Promise<PostgresCluster> {
  const bin = await binDir();
  // As root, TMPDIR may sit under a home the postgres user cannot enter; /tmp it can.
  const root = mkdtempSync(join(userInfo().uid === 0 ? '/tmp' : tmpdir(), 'rotator-pg-'));
  chmodSync(root, 0o700);
  giveToServerUser(root);
  const data = join(root, 'data');
  const pwfile = join(root, 'pwfile');
  const logFile = join(root, 'server.log');
  const adminPassword = `Admin-${Math.random().toString(36).slice(2)}-Pw1`;
  writeFileSync(pwfile, `${adminPassword}\n`, { mode: 0o600 });
  giveToServerUser(pwfile);

  const pgCtl = join(bin, 'pg_ctl');
  let port = 0;
  let caFile = '';
  try {
    await asServerUser(join(bin, 'initdb'), [
      '-D',
      data,
      '-U',
      'postgres',
      '--auth=scram-sha-256',
      `--pwfile=${pwfile}`,
      '--no-sync',
      '--no-instructions',
      '-E',
      'UTF8',
      '--locale=C',
    ]);
    // TLS with a certificate from a CA of this run, so the rotator's verify-full default is exercised.
    const certs = await createCertificates(join(root, 'certs'));
    writeFileSync(join(data, 'server.crt'), certs.certPem, { mode: 0o600 });
    writeFileSync(join(data, 'server.key'), certs.keyPem, { mode: 0o600 });
    giveToServerUser(join(data, 'server.crt'));
    giveToServerUser(join(data, 'server.key'));
    caFile = certs.caFile;
    if (options.auth === 'password') {
      const hba = join(data, 'pg_hba.conf');
      writeFileSync(hba, 'local all all scram-sha-256\nhost all all 127.0.0.1/32 password\n');
      giveToServerUser(hba);
    }
    // A port free a moment ago can be taken before the server binds it: try a few.
    for (let attempt = 1; ; attempt += 1) {
      port = await freePort();
      const settings = [
        `-p ${port}`,
        `-k ${root}`,
        '-c listen_addresses=127.0.0.1',
        '-c fsync=off',
        '-c full_page_writes=off',
        '-c log_statement=all',
        '-c log_connections=on',
        '-c ssl=on',
      ].join(' ');
      try {
        await asServerUser(pgCtl, ['-D', data, '-l', logFile, '-o', settings, '-w', '-t', '30', 'start']);
        break;
      } catch (error) {
        if (attempt >= 3) throw error;
      }
    }
  } catch (error) {
    rmSync(root, { recursive: true, force: true });
    throw error;
  }

  const host = '127.0.0.1';
  const adminUrl = `postgres://postgres:${encodeURIComponent(adminPassword)}@${host}:${port}/postgres?sslrootcert=${encodeURIComponent(caFile)}`;
  const connect = async (user: string, password: string): Promise<Client> => {
    const client = new Client({
      host,
      port,
      database: 'postgres',
      user,
      password,
      connectionTimeoutMillis: 5_000,
    });
    client.on('error', () => undefined);
    await client.connect();
    return client;
  };

  return {
    host,
    port,
    adminUrl,
    adminPassword,
    caFile,
    async sql(statement) {
      const admin = await connect('postgres', adminPassword);
      try {
        await admin.query(statement);
      } finally {
        await admin.end();
      }
    },
    async createRole(name, password) {
      const admin = await connect('postgres', adminPassword);
      try {
        await admin.query(
          `CREATE ROLE ${admin.escapeIdentifier(name)} LOGIN PASSWORD ${admin.escapeLiteral(password)}`,
        );
      } finally {
        await admin.end();
      }
    },
    async canLogin(role, password) {
      try {
        const client = await connect(role, password);
        await client.end();
        return true;
      } catch (error) {
        if ((error as { code?: unknown }).code === '28P01') return false;
        throw error;
      }
    },
    serverLog: () => (existsSync(logFile) ? readFileSync(logFile, 'utf8') : ''),
    async stop() {
      await asServerUser(pgCtl, ['-D', data, '-m', 'immediate', '-w', 'stop']).catch(() => undefined);
      rmSync(root, { recursive: true, force: true });
    },
  };
}
