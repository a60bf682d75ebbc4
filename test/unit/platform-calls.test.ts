import { isPlatformCall } from '../../src/telemetry/platform-calls';

describe('the Azure Monitor distro’s own platform calls', () => {
  it('are the instance metadata service and the distro’s settings service, by hostname or host with a port', () => {
    expect(isPlatformCall({ hostname: '169.254.169.254' })).toBe(true);
    expect(isPlatformCall({ host: '169.254.169.254:80' })).toBe(true);
    expect(isPlatformCall({ hostname: 'Settings.SDK.Monitor.Azure.com' })).toBe(true);
  });

  it('never include the rotator’s own calls: Key Vault, Graph, Entra, ingestion, loopback', () => {
    for (const host of [
      'myvault.vault.azure.net',
      'graph.microsoft.com',
      'login.microsoftonline.com',
      'westeurope-5.in.applicationinsights.azure.com',
      '127.0.0.1',
      '169.254.169.253',
    ])
      expect(isPlatformCall({ hostname: host })).toBe(false);
    expect(isPlatformCall({})).toBe(false);
  });
});
