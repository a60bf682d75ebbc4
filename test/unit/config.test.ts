import { loadConfig } from '../../src/config';
import { isRotatorError } from '../../src/errors';

function failure(env: Record<string, string>): {
  code: string;
  message: string;
  hint: string;
  exitCode: number;
} {
  try {
    loadConfig(env);
  } catch (error) {
    if (isRotatorError(error))
      return { code: error.code, message: error.message, hint: error.hint, exitCode: error.exitCode };
    throw error;
  }
  throw new Error('expected loadConfig to fail');
}

describe('loadConfig', () => {
  it('fills the contract defaults when nothing is set', () => {
    const config = loadConfig({});
    expect(config.redisUrl).toBe('redis://127.0.0.1:6379');
    expect(config.rotationInterval.iso).toBe('P13D');
    expect(config.rotationInterval.ms).toBe(13 * 24 * 3600 * 1000);
    expect(config.usageGrace.ms).toBe(30 * 60 * 1000);
    expect(config.sweepInterval.ms).toBe(5 * 60 * 1000);
    expect(config.healthPort).toBe(8080);
    expect(config.queuePrefix).toBe('bull');
    expect(config.vaultUrls).toEqual([]);
  });

  it('splits several vault URLs, trims them and drops duplicates', () => {
    const config = loadConfig({
      ROTATOR_VAULT_URL: 'https://a.vault.azure.net/, https://b.vault.azure.net,https://A.vault.azure.net',
    });
    expect(config.vaultUrls).toEqual(['https://a.vault.azure.net', 'https://b.vault.azure.net']);
  });

  it('rejects a plain-http vault URL naming the variable, the value and what is allowed', () => {
    const f = failure({ ROTATOR_VAULT_URL: 'http://v.vault.azure.net' });
    expect(f.code).toBe('CONFIG_INVALID');
    expect(f.exitCode).toBe(2);
    expect(f.message).toContain('ROTATOR_VAULT_URL');
    expect(f.message).toContain('http://v.vault.azure.net');
    expect(f.hint).toContain('https://');
  });

  it.each([['P13X'], ['13 days'], ['PT0S'], ['-P1D'], ['']])(
    'treats %p as the default or rejects it',
    (value) => {
      if (value === '') {
        expect(loadConfig({ ROTATOR_ROTATION_INTERVAL: value }).rotationInterval.iso).toBe('P13D');
        return;
      }
      const f = failure({ ROTATOR_ROTATION_INTERVAL: value });
      expect(f.message).toContain('ROTATOR_ROTATION_INTERVAL');
      expect(f.hint).toContain('ISO-8601');
    },
  );

  it('caps the usage grace at PT8H', () => {
    expect(loadConfig({ ROTATOR_USAGE_GRACE: 'PT8H' }).usageGrace.ms).toBe(8 * 3600 * 1000);
    const f = failure({ ROTATOR_USAGE_GRACE: 'PT8H1M' });
    expect(f.message).toContain('longer than PT8H');
    expect(f.exitCode).toBe(2);
  });

  it('rejects ports outside 1..65535 and non-numbers', () => {
    for (const port of ['0', '65536', '80a', '-1']) {
      expect(failure({ ROTATOR_HEALTH_PORT: port }).message).toContain('ROTATOR_HEALTH_PORT');
    }
  });

  it('never echoes a Redis password or a token in its message', () => {
    const f = failure({ REDIS_URL: 'http://user:hunter2@redis:6379' });
    expect(f.message).not.toContain('hunter2');
    expect(f.message).toContain('REDIS_URL');
  });

  it('rejects a CA file that does not exist', () => {
    const f = failure({ ROTATOR_VAULT_CA_FILE: '/nonexistent/ca.pem' });
    expect(f.message).toContain('no such file');
  });

  it('rejects an unknown log level', () => {
    expect(failure({ ROTATOR_LOG_LEVEL: 'loud' }).hint).toContain('info');
  });

  it('parses the optional rate limit as rotations per ISO-8601 duration, off by default', () => {
    const config = loadConfig({ ROTATOR_RATE_LIMIT: '30/PT10S' });
    expect(config.rateLimit?.max).toBe(30);
    expect(config.rateLimit?.per.ms).toBe(10_000);
    expect(loadConfig({}).rateLimit).toBeUndefined();
    expect(loadConfig({ ROTATOR_RATE_LIMIT: 'off' }).rateLimit).toBeUndefined();
    expect(failure({ ROTATOR_RATE_LIMIT: 'fast' }).message).toContain("ROTATOR_RATE_LIMIT='fast'");
    expect(failure({ ROTATOR_RATE_LIMIT: '0/PT1S' }).exitCode).toBe(2);
  });

  it('bounds worker concurrency and attempts, and knows only refuse or warn for eviction', () => {
    expect(loadConfig({}).workerConcurrency).toBe(4);
    expect(failure({ ROTATOR_WORKER_CONCURRENCY: '0' }).code).toBe('CONFIG_INVALID');
    expect(failure({ ROTATOR_MAX_ATTEMPTS: '2.5' }).code).toBe('CONFIG_INVALID');
    expect(failure({ ROTATOR_REDIS_EVICTION_CHECK: 'ignore' }).hint).toContain('refuse or warn');
  });

  it('accepts only https Graph and authority URLs and trims their trailing slash', () => {
    expect(loadConfig({ ROTATOR_GRAPH_URL: 'https://127.0.0.1:4443/' }).graphUrl).toBe(
      'https://127.0.0.1:4443',
    );
    expect(failure({ ROTATOR_AUTHORITY_HOST: 'http://login' }).code).toBe('CONFIG_INVALID');
  });
});

describe('telemetry outbox and OTLP protocol', () => {
  it('keeps Azure Monitor telemetry under TMPDIR by default, where it is told otherwise, and only at an absolute path', () => {
    expect(loadConfig({}).telemetryStorageDir).toMatch(/\/rotator-telemetry$/);
    expect(
      loadConfig({ ROTATOR_TELEMETRY_STORAGE_DIR: '/var/lib/rotator/telemetry' }).telemetryStorageDir,
    ).toBe('/var/lib/rotator/telemetry');
    expect(failure({ ROTATOR_TELEMETRY_STORAGE_DIR: 'telemetry' }).code).toBe('CONFIG_INVALID');
  });

  it('speaks OTLP protobuf unless told http/json, and refuses anything else', () => {
    expect(loadConfig({}).otlpProtocol).toBe('http/protobuf');
    expect(failure({ OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' }).code).toBe('CONFIG_INVALID');
  });
});

describe('loadConfig: the access API', () => {
  it('is off by default, with the approval timeout and the window maximum of the contract', () => {
    const { access } = loadConfig({});
    expect(access).toMatchObject({ apiPort: undefined, tls: undefined, apiUrl: undefined });
    expect(access.approvalTimeout.iso).toBe('PT1H');
    expect(access.accessMax.iso).toBe('PT8H');
  });

  it('needs an audience with the port, and derives the issuer and the scope', () => {
    expect(failure({ ROTATOR_API_PORT: '8081', AZURE_TENANT_ID: 't' }).message).toContain(
      'ROTATOR_API_AUDIENCE',
    );
    expect(failure({ ROTATOR_API_PORT: '8081', ROTATOR_API_AUDIENCE: 'api://r' }).message).toContain(
      'ROTATOR_API_ISSUER',
    );
    const { access } = loadConfig({
      ROTATOR_API_PORT: '8081',
      ROTATOR_API_AUDIENCE: 'api://r',
      AZURE_TENANT_ID: 't',
    });
    expect(access).toMatchObject({
      apiPort: 8081,
      issuer: 'https://login.microsoftonline.com/t/v2.0',
      apiScope: 'api://r/.default',
    });
  });

  it('refuses a window maximum beyond PT8H, half a TLS pair, and never echoes the API token', () => {
    expect(failure({ ROTATOR_ACCESS_MAX: 'PT9H' }).message).toContain('longer than PT8H');
    expect(failure({ ROTATOR_API_TLS_CERT_FILE: __filename }).message).toContain('must be set together');
    const f = failure({ ROTATOR_API_TOKEN: 'secret-token-value', ROTATOR_API_URL: 'ftp://x' });
    expect(JSON.stringify(f)).not.toContain('secret-token-value');
  });
});

describe('the reads backstop configuration', () => {
  it('is off by default, with the Log Analytics endpoint and a one-minute poll', () => {
    const { audit } = loadConfig({});
    expect(audit.workspaceId).toBeUndefined();
    expect(audit.logsEndpoint).toBe('https://api.loganalytics.io');
    expect(audit.poll.iso).toBe('PT1M');
  });

  it('takes a workspace GUID, an https endpoint and a poll from PT1S to PT1H', () => {
    const { audit } = loadConfig({
      ROTATOR_AUDIT_WORKSPACE_ID: '5F1C2D3E-4B5A-4C6D-8E7F-9A0B1C2D3E4F',
      ROTATOR_LOGS_ENDPOINT: 'https://127.0.0.1:8443/',
      ROTATOR_AUDIT_POLL: 'PT5S',
    });
    expect(audit).toMatchObject({ logsEndpoint: 'https://127.0.0.1:8443', poll: { ms: 5_000 } });
  });

  it.each([
    ['ROTATOR_AUDIT_WORKSPACE_ID', 'my-workspace'],
    ['ROTATOR_LOGS_ENDPOINT', 'http://api.loganalytics.io'],
    ['ROTATOR_AUDIT_POLL', 'PT2H'],
    ['ROTATOR_AUDIT_POLL', 'PT0.5S'],
  ])('rejects %s=%p naming the variable and what is allowed', (name, value) => {
    const f = failure({ [name]: value });
    expect(f).toMatchObject({ code: 'CONFIG_INVALID', exitCode: 2 });
    expect(f.message).toContain(name);
  });
});
