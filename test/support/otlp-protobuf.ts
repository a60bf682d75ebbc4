import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Root, type Type } from 'protobufjs';

/**
 * The part of OTLP's protobuf schema (opentelemetry-proto: trace/v1, logs/v1, metrics/v1, common/v1)
 * a test needs to read what an exporter sent; field numbers as in the .proto files. Fields not listed
 * here are skipped by the decoder, as protobuf allows.
 */
const KEY_VALUE = {
  fields: { key: { type: 'string', id: 1 }, value: { type: 'AnyValue', id: 2 } },
};
const repeated = (type: string, id: number) => ({ rule: 'repeated', type, id });
/** A span and a link name the span the same way, with the same field numbers. */
const SPAN_CONTEXT = { traceId: { type: 'bytes', id: 1 }, spanId: { type: 'bytes', id: 2 } };

/**
 * The envelope every signal shares: Export<Request>ServiceRequest → Resource<Kind> → Scope<Kind> → its
 * items (spans, log records, metrics), each level with field numbers 1 (resource or scope) and 2.
 */
function signal(kind: string, request: string, items: string, item: string): Record<string, unknown> {
  return {
    [`Scope${kind}`]: { fields: { scope: { type: 'Scope', id: 1 }, [items]: repeated(item, 2) } },
    [`Resource${kind}`]: {
      fields: { resource: { type: 'Resource', id: 1 }, [`scope${kind}`]: repeated(`Scope${kind}`, 2) },
    },
    [`Export${request}ServiceRequest`]: { fields: { [`resource${kind}`]: repeated(`Resource${kind}`, 1) } },
  };
}

const SCHEMA = {
  nested: {
    KeyValue: KEY_VALUE,
    AnyValue: {
      oneofs: {
        value: {
          oneof: [
            'stringValue',
            'boolValue',
            'intValue',
            'doubleValue',
            'arrayValue',
            'kvlistValue',
            'bytesValue',
          ],
        },
      },
      fields: {
        stringValue: { type: 'string', id: 1 },
        boolValue: { type: 'bool', id: 2 },
        intValue: { type: 'int64', id: 3 },
        doubleValue: { type: 'double', id: 4 },
        arrayValue: { type: 'ArrayValue', id: 5 },
        kvlistValue: { type: 'KeyValueList', id: 6 },
        bytesValue: { type: 'bytes', id: 7 },
      },
    },
    ArrayValue: { fields: { values: repeated('AnyValue', 1) } },
    KeyValueList: { fields: { values: repeated('KeyValue', 1) } },
    Resource: { fields: { attributes: repeated('KeyValue', 1) } },
    Scope: { fields: { name: { type: 'string', id: 1 }, version: { type: 'string', id: 2 } } },
    Link: { fields: { ...SPAN_CONTEXT, attributes: repeated('KeyValue', 4) } },
    Event: { fields: { name: { type: 'string', id: 2 }, attributes: repeated('KeyValue', 3) } },
    Span: {
      fields: {
        ...SPAN_CONTEXT,
        parentSpanId: { type: 'bytes', id: 4 },
        name: { type: 'string', id: 5 },
        kind: { type: 'int32', id: 6 },
        attributes: repeated('KeyValue', 9),
        events: repeated('Event', 11),
        links: repeated('Link', 13),
      },
    },
    ...signal('Spans', 'Trace', 'spans', 'Span'),
    LogRecord: {
      fields: {
        severityText: { type: 'string', id: 3 },
        body: { type: 'AnyValue', id: 5 },
        attributes: repeated('KeyValue', 6),
        traceId: { type: 'bytes', id: 9 },
      },
    },
    ...signal('Logs', 'Logs', 'logRecords', 'LogRecord'),
    Metric: {
      fields: {
        name: { type: 'string', id: 1 },
        description: { type: 'string', id: 2 },
        unit: { type: 'string', id: 3 },
      },
    },
    ...signal('Metrics', 'Metrics', 'metrics', 'Metric'),
  },
};

const root = Root.fromJSON(SCHEMA);
const REQUEST: Record<string, Type> = {
  '/v1/traces': root.lookupType('ExportTraceServiceRequest'),
  '/v1/logs': root.lookupType('ExportLogsServiceRequest'),
  '/v1/metrics': root.lookupType('ExportMetricsServiceRequest'),
};

export interface ReceivedExport {
  path: string;
  contentType: string;
  /** The decoded request as plain JSON (bytes as hex), e.g. `{"resourceSpans":[…]}`. */
  body: Record<string, unknown>;
}

/** Decodes one OTLP/HTTP protobuf request body of a signal path (`/v1/traces`, `/v1/logs`, `/v1/metrics`). */
export function decodeOtlp(path: string, bytes: Uint8Array): Record<string, unknown> {
  const type = REQUEST[path];
  if (type === undefined) throw new Error(`no OTLP request type for ${path}`);
  const message = type.decode(bytes);
  const object = type.toObject(message, { longs: String, bytes: String, defaults: false, arrays: true });
  return JSON.parse(
    JSON.stringify(object, (key, value: unknown) =>
      (key === 'traceId' || key === 'spanId' || key === 'parentSpanId') && typeof value === 'string'
        ? Buffer.from(value, 'base64').toString('hex')
        : value,
    ),
  ) as Record<string, unknown>;
}

/**
 * An OTLP/HTTP receiver that behaves as the Aspire dashboard's does: it takes `application/x-protobuf`
 * and refuses OTLP/HTTP JSON with 415, so an exporter in the wrong protocol loses its data here too.
 */
export function startProtobufCollector(): Promise<{
  server: Server;
  url: string;
  received: ReceivedExport[];
  refused: string[];
}> {
  const received: ReceivedExport[] = [];
  const refused: string[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (d: Buffer) => chunks.push(d));
    req.on('end', () => {
      const path = req.url ?? '';
      const contentType = req.headers['content-type'] ?? '';
      if (!contentType.startsWith('application/x-protobuf')) {
        refused.push(`${path} ${contentType}`);
        res.writeHead(415).end();
        return;
      }
      received.push({ path, contentType, body: decodeOtlp(path, Buffer.concat(chunks)) });
      res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
    });
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({
        server,
        url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        received,
        refused,
      }),
    ),
  );
}
