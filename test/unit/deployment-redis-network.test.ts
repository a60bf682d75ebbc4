import { BicepFail, evaluate, readBicepParams, variableExpression } from '../support/bicep-eval';
import { filesUnder, loadBicepFiles, repoFile, type BicepFile } from '../support/deployment-files';
import type { BicepValue } from '../support/deployment-files';

let main: BicepFile;
beforeAll(async () => {
  const found = (await loadBicepFiles()).find((f) => f.path === 'bicep/main.bicep');
  if (found === undefined) throw new Error('bicep/main.bicep is missing');
  main = found;
});

/** main.bicep's parameters with their defaults, overridden by `values`, as ARM would bind them. */
function bind(values: ReadonlyMap<string, BicepValue>): Map<string, BicepValue> {
  const scope = new Map<string, BicepValue>();
  for (const p of main.parameters) if (p.defaultValue !== undefined) scope.set(p.name, p.defaultValue);
  for (const [k, v] of values) scope.set(k, v);
  return scope;
}

async function redisNetwork(values: Record<string, BicepValue>): Promise<BicepValue> {
  return evaluate(await variableExpression(main.text, 'redisNetwork'), bind(new Map(Object.entries(values))));
}

const SUBNETS = {
  infrastructureSubnetId:
    '/subscriptions/x/resourceGroups/n/providers/Microsoft.Network/virtualNetworks/v/subnets/apps',
  privateEndpointSubnetId:
    '/subscriptions/x/resourceGroups/n/providers/Microsoft.Network/virtualNetworks/v/subnets/pe',
  virtualNetworkId: '/subscriptions/x/resourceGroups/n/providers/Microsoft.Network/virtualNetworks/v',
};

describe('the template deploys with its defaults and refuses inconsistent Redis network parameters', () => {
  it('defaults to Redis over its public endpoint, with no private endpoint and nothing else to set', async () => {
    expect(main.parameters.find((p) => p.name === 'redisPublicNetworkAccess')?.defaultValue).toBe('Enabled');
    await expect(redisNetwork({})).resolves.toBe('public');
    expect(main.text).toMatch(/module redisPrivateEndpoint '[^']+' = if \(redisNetwork == 'private'\)/);
    expect(main.text).toContain("publicNetworkAccess: redisNetwork == 'private' ? 'Disabled' : 'Enabled'");
  });

  it('deploys a private Redis when all three network parameters are given', async () => {
    await expect(redisNetwork({ redisPublicNetworkAccess: 'Disabled', ...SUBNETS })).resolves.toBe('private');
  });

  it.each([
    ['no subnet at all', {}],
    ['no infrastructure subnet (the app could not reach it)', { ...SUBNETS, infrastructureSubnetId: '' }],
    ['no private endpoint subnet', { ...SUBNETS, privateEndpointSubnetId: '' }],
    ['no virtual network for the DNS zone', { ...SUBNETS, virtualNetworkId: '' }],
  ])('refuses a private Redis with %s, naming the parameters to set', async (_case, values) => {
    const refusal = redisNetwork({ redisPublicNetworkAccess: 'Disabled', ...values });
    await expect(refusal).rejects.toBeInstanceOf(BicepFail);
    await expect(refusal).rejects.toThrow(
      /infrastructureSubnetId, privateEndpointSubnetId and virtualNetworkId/,
    );
  });

  it('refuses private endpoint parameters on a public Redis instead of ignoring them', async () => {
    await expect(redisNetwork({ privateEndpointSubnetId: SUBNETS.privateEndpointSubnetId })).rejects.toThrow(
      /only used with redisPublicNetworkAccess Disabled/,
    );
    // A VNet-integrated environment reaching a public Redis is fine.
    await expect(redisNetwork({ infrastructureSubnetId: SUBNETS.infrastructureSubnetId })).resolves.toBe(
      'public',
    );
  });
});

describe('a parameter file for each Redis network mode', () => {
  const paramFiles = filesUnder('bicep', ['.bicepparam']);

  it('has one for public and one for private Redis', () => {
    expect(paramFiles).toEqual(['bicep/main.private.bicepparam', 'bicep/main.public.bicepparam']);
  });

  it.each([
    ['bicep/main.public.bicepparam', 'public'],
    ['bicep/main.private.bicepparam', 'private'],
  ])(
    '%s parses, uses main.bicep, sets every required parameter, only known ones, allowed values: %s',
    async (path, mode) => {
      const params = await readBicepParams(repoFile(path));
      expect(params.syntaxErrors).toEqual([]);
      expect(params.using).toBe('main.bicep');
      const known = new Set(main.parameters.map((p) => p.name));
      expect([...params.values.keys()].filter((k) => !known.has(k))).toEqual([]);
      const required = main.parameters.filter((p) => p.defaultText === undefined).map((p) => p.name);
      expect(required.filter((name) => !params.values.has(name))).toEqual([]);
      for (const p of main.parameters) {
        const allowed = p.decorators.find((d) => d.startsWith('allowed('));
        const value = params.values.get(p.name);
        if (allowed !== undefined && typeof value === 'string')
          expect({ [p.name]: allowed }).toEqual({
            [p.name]: expect.stringContaining(`'${value}'`) as unknown,
          });
      }
      expect(evaluate(await variableExpression(main.text, 'redisNetwork'), bind(params.values))).toBe(mode);
    },
  );
});
