import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROLE } from '../../src/access/identity';
import { ATTR, EVENT, METRIC, SPAN } from '../../src/telemetry/names';
import {
  BicepExpression,
  REPO_ROOT,
  bicepText,
  isObject,
  loadBicepFiles,
  parseBicep,
  syntaxErrors,
  type BicepFile,
  type BicepObject,
} from '../support/deployment-files';

const KEY_VAULT_SECRETS_OFFICER = 'b86a8fe4-44ce-4948-aee5-eccb2c155cd7';
const BROADER_ROLES = {
  Owner: '8e3af657-a8ff-443c-a75c-2fe8c4bcb635',
  Contributor: 'b24988ac-6180-42a0-ab88-20f7382dd24c',
  'Key Vault Administrator': '00482a5a-887f-4fb3-b363-3b7fe8e74483',
  'User Access Administrator': '18d7d88d-d35e-4fb5-a5c3-7773c20a72d9',
  'Role Based Access Control Administrator': 'f58310d9-a9f6-439a-9e8d-f62e7b41a168',
};
const SECRETISH = /(key|password|secret|token|connectionString|credential)s?$/i;

let files: BicepFile[];
beforeAll(async () => {
  files = await loadBicepFiles();
});

function file(path: string): BicepFile {
  const found = files.find((f) => f.path === path);
  if (found === undefined) throw new Error(`${path} is missing`);
  return found;
}

function resourcesOfType(type: string): { file: BicepFile; body: BicepObject }[] {
  return files.flatMap((f) =>
    f.declarations
      .filter(
        (d) => d.kind === 'resource' && !d.existing && d.type?.split('@')[0] === type && isObject(d.body),
      )
      .map((d) => ({ file: f, body: d.body as BicepObject })),
  );
}

function properties(body: BicepObject): BicepObject {
  const props = body['properties'];
  if (!isObject(props)) throw new Error('resource without properties');
  return props;
}

describe('Bicep templates', () => {
  it('every .bicep file parses with tree-sitter-bicep without syntax errors', () => {
    expect(files.map((f) => f.path)).toEqual(
      expect.arrayContaining(['bicep/main.bicep', 'bicep/modules/container-app.bicep']),
    );
    for (const f of files)
      expect({ path: f.path, errors: syntaxErrors(f.tree) }).toEqual({ path: f.path, errors: [] });
  });

  it('the syntax check does catch a broken file (so a pass means something)', async () => {
    const tree = await parseBicep(
      "param x string = \nresource kv 'Microsoft.KeyVault/vaults@2023-07-01' = {\n  name: 'a'\n",
    );
    expect(syntaxErrors(tree).length).toBeGreaterThan(0);
  });

  it('every module main.bicep references exists, and the parameters example names only main.bicep parameters', () => {
    const main = file('bicep/main.bicep');
    const modules = main.declarations.filter((d) => d.kind === 'module').map((d) => `bicep/${d.type ?? ''}`);
    expect(modules.length).toBeGreaterThanOrEqual(8);
    for (const m of modules) expect(files.map((f) => f.path)).toContain(m);

    const example = JSON.parse(
      readFileSync(join(REPO_ROOT, 'bicep/main.parameters.example.json'), 'utf8'),
    ) as { parameters: Record<string, unknown> };
    const declared = main.parameters.map((p) => p.name);
    expect(Object.keys(example.parameters).filter((n) => !declared.includes(n))).toEqual([]);
    const required = main.parameters.filter((p) => p.defaultText === undefined).map((p) => p.name);
    expect(Object.keys(example.parameters)).toEqual(expect.arrayContaining(required));
  });

  it('assigns one custom role on the vault and, apart from Log Analytics Reader on the workspace, no other role; no Secrets Officer or broader role id appears anywhere', () => {
    const assignments = resourcesOfType('Microsoft.Authorization/roleAssignments').filter(
      (a) => a.file.path !== 'bicep/modules/log-analytics-reader.bicep',
    );
    expect(assignments).toHaveLength(1);
    const [{ file: f, body }] = assignments as [{ file: BicepFile; body: BicepObject }];
    expect(bicepText(properties(body)['roleDefinitionId'])).toBe('rotatorRole.id');
    expect(bicepText(body['scope'])).toBe('vault');
    const vault = f.declarations.find((d) => d.name === 'vault');
    expect(vault?.type).toMatch(/^Microsoft\.KeyVault\/vaults@/);
    const broader = { ...BROADER_ROLES, 'Key Vault Secrets Officer': KEY_VAULT_SECRETS_OFFICER };
    for (const other of files)
      for (const [role, id] of Object.entries(broader))
        expect({ path: other.path, role, present: other.text.toLowerCase().includes(id) }).toMatchObject({
          present: false,
        });
  });

  it('gives the daemon Log Analytics Reader on the audit workspace only, and sends AuditEvent to AZKVAuditLogs', () => {
    const [reader, ...others] = resourcesOfType('Microsoft.Authorization/roleAssignments').filter(
      (a) => a.file.path === 'bicep/modules/log-analytics-reader.bicep',
    );
    expect(others).toEqual([]);
    expect(bicepText(reader?.body['scope'])).toBe('workspace');
    expect(reader?.file.text).toContain(
      "var logAnalyticsReaderRoleId = '73c42c96-874c-492b-b04d-ab87d138a893'",
    );
    const workspace = reader?.file.declarations.find((d) => d.name === 'workspace');
    expect(workspace?.type).toMatch(/^Microsoft\.OperationalInsights\/workspaces@/);
    const [audit] = resourcesOfType('Microsoft.Insights/diagnosticSettings');
    expect(properties(audit?.body as BicepObject)['logAnalyticsDestinationType']).toBe('Dedicated');
  });

  it('keeps Log Analytics for 365 days', () => {
    const [workspace] = resourcesOfType('Microsoft.OperationalInsights/workspaces');
    expect(bicepText(properties(workspace?.body as BicepObject)['retentionInDays'])).toBe('retentionInDays');
    const param = file('bicep/modules/log-analytics.bicep').parameters.find(
      (p) => p.name === 'retentionInDays',
    );
    expect(param?.defaultValue).toBe(365);
    expect(param?.decorators).toContain('minValue(365)');
    const passed = file('bicep/main.bicep').declarations.find(
      (d) => d.type === 'modules/log-analytics.bicep',
    );
    expect(isObject(passed?.body) && (passed.body['params'] as BicepObject)['retentionInDays']).toBe(365);
  });

  it('makes Key Vault RBAC-only with soft delete and purge protection, auditing AuditEvent to Log Analytics', () => {
    const [vault] = resourcesOfType('Microsoft.KeyVault/vaults');
    expect(properties(vault?.body as BicepObject)).toMatchObject({
      enableRbacAuthorization: true,
      enableSoftDelete: true,
      enablePurgeProtection: true,
    });
    const [diagnostics] = resourcesOfType('Microsoft.Insights/diagnosticSettings');
    const props = properties(diagnostics?.body as BicepObject);
    expect(bicepText(props['workspaceId'])).toBe('workspaceResourceId');
    expect(props['logs']).toEqual(expect.arrayContaining([{ category: 'AuditEvent', enabled: true }]));
  });

  it('uses workspace-based Application Insights', () => {
    const [component] = resourcesOfType('Microsoft.Insights/components');
    expect(properties(component?.body as BicepObject)['WorkspaceResourceId']).toBeInstanceOf(BicepExpression);
  });

  it('runs Azure Managed Redis with NoEviction, NoCluster, TLS only; public access only where no private endpoint is asked for', () => {
    expect(resourcesOfType('Microsoft.Cache/redis')).toEqual([]);
    const [cluster] = resourcesOfType('Microsoft.Cache/redisEnterprise');
    expect(properties(cluster?.body as BicepObject)).toMatchObject({ minimumTlsVersion: '1.2' });
    const [database] = resourcesOfType('Microsoft.Cache/redisEnterprise/databases');
    expect(properties(database?.body as BicepObject)).toMatchObject({
      clientProtocol: 'Encrypted',
      clusteringPolicy: 'NoCluster',
      evictionPolicy: 'NoEviction',
    });
    // The defaults must deploy: a private Redis needs subnets the template cannot invent
    // (test/unit/deployment-redis-network.test.ts checks the refusal of inconsistent parameters).
    for (const path of ['bicep/main.bicep', 'bicep/modules/managed-redis.bicep']) {
      const param = file(path).parameters.find((p) => /^(redisP|p)ublicNetworkAccess$/.test(p.name));
      expect({ path, default: param?.defaultValue }).toEqual({ path, default: 'Enabled' });
    }
  });

  it('never scales the daemon below one replica and gives it a user-assigned identity', () => {
    const [app] = resourcesOfType('Microsoft.App/containerApps');
    const body = app?.body as BicepObject;
    expect((body['identity'] as BicepObject)['type']).toBe('UserAssigned');
    const scale = (properties(body)['template'] as BicepObject)['scale'] as BicepObject;
    expect(bicepText(scale['minReplicas'])).toBe('minReplicas');
    for (const path of ['bicep/main.bicep', 'bicep/modules/container-app.bicep']) {
      const param = file(path).parameters.find((p) => p.name === 'minReplicas');
      expect({ path, decorators: param?.decorators }).toEqual({
        path,
        decorators: expect.arrayContaining(['minValue(1)']) as unknown,
      });
    }
  });

  it('gives no @secure() or secret-named parameter a default, and outputs no key or connection string', () => {
    for (const f of files) {
      for (const p of f.parameters) {
        const sensitive = p.decorators.includes('secure()') || SECRETISH.test(p.name);
        if (sensitive)
          expect({ path: f.path, param: p.name, default: p.defaultText }).toEqual({
            path: f.path,
            param: p.name,
            default: undefined,
          });
      }
      for (const o of f.declarations.filter((d) => d.kind === 'output')) {
        expect({ path: f.path, output: o.text }).not.toEqual({
          path: f.path,
          output: expect.stringMatching(
            /listKeys|listSecrets|listConnectionStrings|primaryKey|secondaryKey|sharedKey|ConnectionString|InstrumentationKey|password/i,
          ) as unknown,
        });
      }
    }
  });
});

describe('the SRE workbook and the alert rules', () => {
  const workbook = JSON.parse(
    readFileSync(join(REPO_ROOT, 'bicep/modules/rotator-workbook.json'), 'utf8'),
  ) as {
    version: string;
    items: { type: number; content: { query?: string; title?: string } }[];
  };
  const queries = workbook.items.filter((i) => i.type === 3).map((i) => i.content);
  const titled = (word: RegExp): string => queries.find((q) => word.test(q.title ?? ''))?.query ?? '';

  it('is a Notebook/1.0 workbook loaded by a raw Microsoft.Insights/workbooks resource', () => {
    expect(workbook.version).toBe('Notebook/1.0');
    expect(resourcesOfType('Microsoft.Insights/workbooks')).toHaveLength(1);
    expect(file('bicep/modules/workbook.bicep').text).toContain("loadJsonContent('rotator-workbook.json')");
  });

  it('charts rotations by reason and outcome, failures with errors, secret ages, overdue secrets, checkout latency', () => {
    expect(titled(/over time/)).toContain(`name == '${SPAN.rotation}'`);
    expect(titled(/over time/)).toContain(`customDimensions['${ATTR.reason}']`);
    expect(titled(/over time/)).toContain(`customDimensions['${ATTR.outcome}']`);
    expect(titled(/Failed/)).toContain(`customDimensions['${ATTR.errorCode}']`);
    expect(titled(/Failed/)).toMatch(/'retrying', 'quarantined', 'failed'/);
    // Failures are the span event rotation.failed, which the exporter sends as trace telemetry.
    expect(titled(/Failed/)).toContain(`traces\n    | where message == '${EVENT.rotationFailed}'`);
    expect(titled(/Failed/)).not.toContain('exceptions');
    expect(titled(/age distribution/)).toContain(`name == '${METRIC.secretAge}'`);
    expect(titled(/age distribution/)).toContain(`customDimensions['${ATTR.secret}']`);
    expect(titled(/Overdue/)).toContain(`'${METRIC.secretsOverdue}'`);
    expect(titled(/Overdue/)).toContain(`'${METRIC.secretsQuarantined}'`);
    expect(titled(/Overdue/)).toContain(`'${METRIC.sweepAge}'`);
    const latency = titled(/latency/);
    expect(latency).toContain("name == 'RotatorAudit'");
    expect(latency).toContain("customDimensions['checkout_id']");
    expect(latency).toMatch(/action == 'checkout'/);
    expect(latency).toMatch(/action == 'rotation'/);
  });

  it('shows the credentials in overlap and the unproven retirements', () => {
    expect(titled(/in overlap/)).toContain("customDimensions['overlap_until']");
    expect(titled(/unproven/)).toContain("customDimensions['retirement_reason']");
  });

  it('wires an Event Grid system topic per vault with SecretNewVersionCreated to a queue or a webhook', () => {
    const topics = resourcesOfType('Microsoft.EventGrid/systemTopics');
    expect(topics).toHaveLength(1);
    expect(bicepText(properties(topics[0]?.body ?? {})['topicType'])).toContain('Microsoft.KeyVault.vaults');
    const subscriptions = resourcesOfType('Microsoft.EventGrid/systemTopics/eventSubscriptions');
    expect(subscriptions).toHaveLength(2);
    const text = file('bicep/modules/key-vault-events.bicep').text;
    expect(text).toContain("'Microsoft.KeyVault.SecretNewVersionCreated'");
    expect(text).toContain("endpointType: 'ServiceBusQueue'");
    expect(text).toContain("endpointType: 'WebHook'");
    expect(file('bicep/main.bicep').text).toContain(
      "module vaultEvents 'modules/key-vault-events.bicep' = [",
    );
  });

  it('pages on quarantine and permanent failure, not on a retry, unless a secret stays retrying; a target that cannot verify; overdue, sweep, heartbeat; a read outside the rotator; an unproven retirement', () => {
    const rules = resourcesOfType('Microsoft.Insights/scheduledQueryRules').map((r) => {
      const props = properties(r.body);
      const allOf = (props['criteria'] as BicepObject)['allOf'] as BicepObject[];
      // The query's source text, with Bicep's \' escapes undone.
      return { severity: props['severity'], query: bicepText(allOf[0]?.['query']).replace(/\\'/g, "'") };
    });
    expect(rules).toHaveLength(8);
    expect(
      rules.some((r) => r.query.includes("outcome == 'unbrokered'") && r.query.includes('RotatorAudit')),
    ).toBe(true);
    const cannotVerify = rules.find((r) => r.query.includes("'TARGET_CANNOT_VERIFY'"));
    expect(cannotVerify?.query).toContain(`customDimensions['${ATTR.errorCode}']`);
    expect(cannotVerify?.severity).toBe(1);
    expect(
      rules.some(
        (r) => r.query.includes(`customDimensions['${ATTR.retirement}']`) && r.query.includes("'unproven'"),
      ),
    ).toBe(true);
    const alertsText = file('bicep/modules/alerts.bicep').text.replace(/\\'/g, "'");
    expect(alertsText).toContain(
      `var rotationSpans = 'union requests, dependencies | where name == '${SPAN.rotation}'`,
    );
    const paging = rules.find((r) => r.query.includes("outcome in ('failed', 'quarantined')"));
    expect(paging?.severity).toBe(1);
    // A single retry pages nowhere: no rule's filter names retrying except the one with its threshold.
    const retrying = rules.filter((r) => r.query.includes("'retrying'"));
    expect(retrying).toHaveLength(1);
    expect(retrying[0]?.query).toContain('ago(${retryingAlertMinutes}m)');
    expect(retrying[0]?.severity).toBe(1);
    const overdue = rules.find((r) => r.query.includes(METRIC.secretsOverdue));
    expect(overdue?.query).toContain('arg_max(timestamp, valueMax)');
    expect(
      rules.some((r) => r.query.includes(SPAN.sweep) && r.query.includes('ago(${sweepWindowMinutes}m)')),
    ).toBe(true);
    expect(file('bicep/modules/alerts.bicep').text).toContain(
      'var sweepWindowMinutes = 2 * sweepIntervalMinutes',
    );
    const heartbeat = rules.find((r) => r.query.includes('heartbeats'));
    expect(heartbeat?.query).toContain(`name == '${METRIC.heartbeat}'`);
    expect(heartbeat?.severity).toBe(0);
  });
});

describe('Bicep: zero standing access', () => {
  const KEY_VAULT_READ_ROLES = {
    'Key Vault Secrets User': '4633458b-17de-408a-b874-0445c86b69e6',
    'Key Vault Reader': '21090545-7ca7-4776-b22c-e363652d74d2',
  };

  it('grants every vault role to the daemon identity alone: no human principal holds a role on the vault', () => {
    const assignments = files.flatMap((f) =>
      f.declarations
        .filter(
          (d) => d.kind === 'resource' && d.type?.startsWith('Microsoft.Authorization/roleAssignments@'),
        )
        .map((d) => ({ file: f, body: d.body as BicepObject })),
    );
    const figures = assignments.map(({ file: f, body }) => {
      const props = properties(body);
      // The module's principalId parameter, and what main.bicep passes into it.
      const principalParam = bicepText(props['principalId']);
      const caller = file('bicep/main.bicep').declarations.find(
        (d) => d.kind === 'module' && `bicep/${d.type ?? ''}` === f.path,
      );
      const passed = isObject(caller?.body)
        ? (caller.body['params'] as BicepObject)[principalParam]
        : undefined;
      return {
        file: f.path,
        principalType: bicepText(props['principalType']),
        principal: bicepText(passed),
        role: bicepText(props['roleDefinitionId']),
      };
    });
    // The closing note's figure: every role assignment in the template, and whom it goes to.
    process.stdout.write(`ROLE-ASSIGNMENTS ${JSON.stringify(figures)}\n`);
    expect(figures).toEqual([
      {
        file: 'bicep/modules/key-vault-role-assignment.bicep',
        principalType: 'ServicePrincipal',
        principal: 'identity.outputs.principalId',
        // The custom rotation role (bicep/modules/rotator-data-actions.json), not Secrets Officer.
        role: 'rotatorRole.id',
      },
      // The reads backstop: Log Analytics Reader on the audit workspace only, to the same identity.
      {
        file: 'bicep/modules/log-analytics-reader.bicep',
        principalType: 'ServicePrincipal',
        principal: 'identity.outputs.principalId',
        role: expect.stringContaining('logAnalyticsReaderRoleId') as string,
      },
    ]);
    const declared = file('bicep/main.bicep').parameters.map((p) => p.name);
    expect(
      declared.filter((n) => /user|reader|human|person|principal|member|securityGroup/i.test(n)),
    ).toEqual([]);
    for (const f of files)
      for (const [role, id] of Object.entries(KEY_VAULT_READ_ROLES))
        expect({ path: f.path, role, present: f.text.toLowerCase().includes(id) }).toMatchObject({
          present: false,
        });
  });

  it('puts the access API on the Container App ingress, internal by default, with the app roles the code checks', () => {
    const app = file('bicep/modules/container-app.bicep');
    const main = file('bicep/main.bicep');
    for (const f of [app, main])
      expect(f.parameters.find((p) => p.name === 'apiExternal')?.defaultValue).toBe(false);
    expect(app.text).toMatch(/ingress: apiEnabled\s*\?\s*\{\s*external: apiExternal\s*targetPort: apiPort/);
    expect(app.text).toContain('var apiPort = 8081');
    expect(app.text).toMatch(/name: 'ROTATOR_API_PORT'\s*value: apiEnabled \? string\(apiPort\) : ''/);
    const roles = main.parameters.find((p) => p.name === 'apiAppRoles')?.defaultValue;
    expect(Array.isArray(roles) && roles.filter(isObject).map((r) => r['value'])).toEqual(
      Object.values(ROLE),
    );
    expect(main.declarations.some((d) => d.kind === 'output' && d.name === 'apiAppRolesManifest')).toBe(true);
  });
});
