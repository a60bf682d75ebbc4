import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { bearerToken } from '../auth';
import { AUDIT_COLUMNS, AUDIT_TABLE, type Row } from '../audit-log/schema';
import { KqlError } from './kql-error';
import { parseQuery } from './kql-parser';
import { runQuery, type ResultTable } from './kql-run';
import { Timespan, formatTimespan, type Value } from './kql-values';
import { parseTimespan } from './timespan';

export interface LogsApiDeps {
  workspaceId: string;
  /** The rows ingested so far (the request log's visible rows). */
  rows: () => Row[];
  now: () => Date;
}

interface Answer {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

function laError(status: number, code: string, message: string, inner?: object): Answer {
  return {
    status,
    body: {
      error: {
        message,
        code,
        correlationId: randomUUID(),
        ...(inner !== undefined && { innererror: inner }),
      },
    },
  };
}

function badArgument(err: KqlError): Answer {
  const syntax = err.kind === 'SyntaxError';
  return laError(400, 'BadArgumentError', 'The request had some invalid properties', {
    code: err.kind,
    message: syntax ? 'A recognition error occurred in the query.' : 'A semantic error occurred.',
    innererror: { code: syntax ? 'SYN0002' : 'SEM0100', message: err.message },
  });
}

/** Cells as the query API sends them: ISO datetimes, dynamic values as JSON text, timespans as d.hh:mm:ss. */
function wireCell(v: Value): unknown {
  if (v instanceof Date) return v.toISOString();
  if (v instanceof Timespan) return formatTimespan(v.ms);
  if (typeof v === 'object' && v !== null) return JSON.stringify(v);
  return v;
}

function wireTable(t: ResultTable): object {
  return { name: 'PrimaryResult', columns: t.columns, rows: t.rows.map((r) => r.map(wireCell)) };
}

/** Evaluates one query body `{query, timespan?}` over the audit table. */
export function answerQuery(body: unknown, deps: LogsApiDeps): Answer {
  const b = (typeof body === 'object' && body !== null ? body : {}) as {
    query?: unknown;
    timespan?: unknown;
  };
  if (typeof b.query !== 'string' || b.query.trim() === '') {
    return laError(400, 'BadArgumentError', "The request had some invalid properties: 'query' is required");
  }
  const now = deps.now();
  try {
    const query = parseQuery(b.query);
    if (query.table !== AUDIT_TABLE) {
      throw new KqlError(
        'SemanticError',
        `'${query.table}': Failed to resolve table or column expression named '${query.table}'`,
      );
    }
    let rows = deps.rows();
    if (typeof b.timespan === 'string' && b.timespan !== '') {
      const w = parseTimespan(b.timespan, now);
      rows = rows.filter((r) => {
        const t = r['TimeGenerated'] instanceof Date ? r['TimeGenerated'].getTime() : NaN;
        return t >= w.start && t < w.end;
      });
    }
    const result = runQuery(query, { columns: [...AUDIT_COLUMNS], rows }, now);
    return { status: 200, body: { tables: [wireTable(result)] } };
  } catch (err) {
    if (err instanceof KqlError) return badArgument(err);
    throw err;
  }
}

function answerBatch(body: unknown, deps: LogsApiDeps): Answer {
  const requests = (body as { requests?: unknown } | null)?.requests;
  if (!Array.isArray(requests))
    return laError(
      400,
      'BadArgumentError',
      "The request had some invalid properties: 'requests' is required",
    );
  const responses = requests.map((r: unknown) => {
    const req = (r ?? {}) as { id?: unknown; workspace?: unknown; body?: unknown };
    const a =
      req.workspace !== deps.workspaceId
        ? laError(404, 'WorkspaceNotFoundError', 'The workspace could not be found')
        : answerQuery(req.body, deps);
    return { id: req.id, status: a.status, body: a.body, headers: {} };
  });
  return { status: 200, body: { responses } };
}

/**
 * The Log Analytics query API over the emulator's own request log: `POST [/v1]/workspaces/{id}/query`
 * and `POST [/v1]/$batch` (the SDK uses an `endpoint` option as its base URL verbatim, so both forms
 * are served). Any bearer token is accepted; none is a 401, as the service answers.
 */
export function answerLogsRequest(
  req: IncomingMessage,
  segments: string[],
  body: () => unknown,
  deps: LogsApiDeps,
): Answer {
  const path = segments[0] === 'v1' ? segments.slice(1) : segments;
  if (bearerToken(req) === undefined) {
    return {
      ...laError(401, 'AuthorizationRequiredError', 'Valid authentication was not provided'),
      headers: {
        'www-authenticate':
          'Bearer authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", error="invalid_token", error_description="The access token is missing or invalid."',
      },
    };
  }
  const method = req.method ?? 'GET';
  let parsed: unknown;
  try {
    parsed = method === 'POST' ? body() : undefined;
  } catch {
    return laError(400, 'BadArgumentError', 'The request body must be JSON (Content-Type: application/json)');
  }
  if (path.length === 1 && path[0] === '$batch' && method === 'POST') return answerBatch(parsed, deps);
  if (path.length === 3 && path[0] === 'workspaces' && path[2] === 'query' && method === 'POST') {
    if (path[1] !== deps.workspaceId)
      return laError(404, 'WorkspaceNotFoundError', 'The workspace could not be found');
    return answerQuery(parsed, deps);
  }
  return laError(
    404,
    'PathNotFoundError',
    `The requested path does not exist: ${method} /${segments.join('/')}`,
  );
}

/** Whether a request path belongs to the query API rather than to the vault. */
export function isLogsPath(segments: string[]): boolean {
  const head = segments[0] === 'v1' ? segments[1] : segments[0];
  return head === 'workspaces' || head === '$batch' || (segments[0] === 'v1' && segments.length > 1);
}
