import { writeFileSync } from 'node:fs';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { selfSignedLoopback } from './self-signed';

export interface FakeIngestion {
  /** The connection string a daemon exports to this endpoint with. */
  connectionString: string;
  /** The certificate to trust (NODE_EXTRA_CA_CERTS). */
  caFile: string;
  /** Telemetry items accepted so far. */
  accepted(): number;
  /** Items accepted so far by kind (`RemoteDependencyData GET /secrets`, `MetricData`…), most first. */
  kinds(): Record<string, number>;
  close(): Promise<void>;
}

interface Envelope {
  data?: { baseType?: string; baseData?: { name?: string } };
}

function envelopes(body: Buffer, gzip: boolean): Envelope[] {
  const text = (gzip ? gunzipSync(body) : body).toString('utf8').trim();
  if (text === '') return [];
  if (text.startsWith('[')) return JSON.parse(text) as Envelope[];
  return text.split('\n').map((line) => JSON.parse(line) as Envelope);
}

/**
 * Application Insights ingestion on 127.0.0.1 (`POST /v2.1/track`, gzip or plain JSON envelopes),
 * accepting every item as the service does when healthy, so a daemon measured with Azure Monitor on
 * pays for exporting its telemetry as it would in Azure.
 */
export async function startFakeIngestion(dir: string): Promise<FakeIngestion> {
  const { keyPem, certPem } = selfSignedLoopback();
  const caFile = join(dir, 'ingestion-ca.pem');
  writeFileSync(caFile, certPem);
  const byKind = new Map<string, number>();
  let accepted = 0;
  const server = createServer({ key: keyPem, cert: certPem }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const items = req.url?.includes('/track')
        ? envelopes(Buffer.concat(chunks), req.headers['content-encoding'] === 'gzip')
        : [];
      for (const item of items) {
        const kind = `${item.data?.baseType ?? '?'} ${item.data?.baseData?.name ?? ''}`.trim();
        byKind.set(kind, (byKind.get(kind) ?? 0) + 1);
      }
      accepted += items.length;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ itemsReceived: items.length, itemsAccepted: items.length, errors: [] }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    connectionString: `InstrumentationKey=00000000-0000-4000-8000-000000000000;IngestionEndpoint=https://127.0.0.1:${port}/`,
    caFile,
    accepted: () => accepted,
    kinds: () => Object.fromEntries([...byKind].sort((a, b) => b[1] - a[1])),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
