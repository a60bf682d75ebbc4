import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ATTR, AUDIT_EVENT, EVENT, METRIC, SPAN } from '../../src/telemetry/names';
import { kqlErrors } from '../support/kql-parser';
import type { KqlSchema } from '../support/kql-schemas';

const ROOT = join(__dirname, '..', '..');
const read = (path: string): string => readFileSync(join(ROOT, path), 'utf8');

interface Query {
  where: string;
  schema: KqlSchema;
  text: string;
}

/** The workbook's queries (on the Application Insights component), with its time grain parameter filled in. */
function workbookQueries(): Query[] {
  const workbook = JSON.parse(read('bicep/modules/rotator-workbook.json')) as {
    items: Array<{ type: number; name: string; content: { query?: string; resourceType?: string } }>;
  };
  return workbook.items
    .filter((item) => item.type === 3)
    .map((item) => {
      expect({ item: item.name, resourceType: item.content.resourceType }).toEqual({
        item: item.name,
        resourceType: 'microsoft.insights/components',
      });
      return {
        where: `workbook ${item.name}`,
        schema: 'app-insights' as const,
        text: (item.content.query ?? '').replace(/\{TimeRange:grain\}/g, '1h'),
      };
    });
}

const bicepString = (raw: string): string => raw.replace(/\\'/g, "'");

/** The alert rules' queries (scoped to the Application Insights component), Bicep interpolations filled in. */
function alertQueries(): Query[] {
  const text = read('bicep/modules/alerts.bicep');
  const vars = new Map<string, string>();
  for (const m of text.matchAll(/^var (\w+) = '((?:[^'\\]|\\.)*)'$/gm))
    vars.set(m[1] ?? '', bicepString(m[2] ?? ''));
  expect(text).toContain('appInsightsResourceId');
  return [...text.matchAll(/^\s+query: '((?:[^'\\]|\\.)*)'$/gm)].map((m, i) => ({
    where: `alert query ${i + 1}`,
    schema: 'app-insights' as const,
    text: bicepString(m[1] ?? '').replace(/\$\{(\w+)\}/g, (_all, name: string) => vars.get(name) ?? '10'),
  }));
}

/** The README's KQL blocks: ```kusto app-insights or ```kusto workspace, nothing else. */
function readmeQueries(): Query[] {
  const blocks = [...read('README.md').matchAll(/^```kusto([^\n]*)\n([\s\S]*?)^```$/gm)];
  return blocks.map((m, i) => {
    const schema = (m[1] ?? '').trim();
    expect({ block: i + 1, schema }).toEqual({
      block: i + 1,
      schema: expect.stringMatching(/^(app-insights|workspace)$/) as unknown,
    });
    return { where: `README block ${i + 1} (${schema})`, schema: schema as KqlSchema, text: m[2] ?? '' };
  });
}

const ROTATOR_NAMES = new Set<string>([
  ...Object.values(SPAN),
  ...Object.values(ATTR),
  ...Object.values(METRIC),
  ...Object.values(EVENT),
  AUDIT_EVENT,
]);

/** Every quoted string in a query that names rotator telemetry: spans, attributes, metrics, events. */
function rotatorNames(text: string): string[] {
  return [...text.matchAll(/["']([^"']+)["']/g)]
    .map((m) => m[1] ?? '')
    .filter((s) => /^rotator\.|^(rotation|usage|schedule)\.|^rotation$|^Rotator/.test(s));
}

describe('every KQL query we ship, parsed by Microsoft’s Kusto parser against the tables it runs on', () => {
  const queries = [...workbookQueries(), ...alertQueries(), ...readmeQueries()];

  it('finds the workbook’s, the alert rules’ and the README’s queries, the README in both table sets', () => {
    expect(queries.filter((q) => q.where.startsWith('workbook')).length).toBeGreaterThanOrEqual(8);
    expect(queries.filter((q) => q.where.startsWith('alert'))).toHaveLength(8);
    const readme = queries.filter((q) => q.where.startsWith('README'));
    expect(readme.filter((q) => q.schema === 'workspace').length).toBe(
      readme.filter((q) => q.schema === 'app-insights').length,
    );
    expect(readme.length).toBeGreaterThanOrEqual(8);
  });

  it.each(queries.map((q) => [q.where, q] as const))('%s has no Kusto error', (_where, query) => {
    expect(kqlErrors(query.text, query.schema)).toEqual([]);
  });

  it.each(queries.map((q) => [q.where, q] as const))(
    '%s names only telemetry of src/telemetry/names.ts',
    (_w, query) => {
      const unknown = rotatorNames(query.text).filter((name) => !ROTATOR_NAMES.has(name));
      expect(unknown).toEqual([]);
    },
  );

  it('catches what it is for: a workspace table in an App Insights query, a misspelt column, an unknown name', () => {
    expect(kqlErrors("AppEvents | where Name == 'RotatorAudit'", 'app-insights')).not.toEqual([]);
    expect(kqlErrors("customEvents | where name == 'RotatorAudit'", 'workspace')).not.toEqual([]);
    expect(kqlErrors("requests | where Name == 'rotation'", 'app-insights')).not.toEqual([]);
    expect(
      rotatorNames("customMetrics | where name == 'rotator.secrets.overdu'").filter(
        (n) => !ROTATOR_NAMES.has(n),
      ),
    ).toEqual(['rotator.secrets.overdu']);
  });
});
