import { bodyProblems, type EntitySchema } from './graph-schema';
import { graphV1Operations, parseTemplate, type GraphOperation } from './graph-operations';

/** Graph's error answer: `{"error":{"code":…,"message":…}}`. */
export interface GraphRefusal {
  status: number;
  code: string;
  message: string;
}

export interface RoutedRequest {
  operation: GraphOperation;
  /** Path parameters by template name, e.g. `application-id`. */
  params: Record<string, string>;
  body: unknown;
}

interface CompiledOperation {
  operation: GraphOperation;
  segments: string[];
  query: string[];
}

const VERSION = 'v1.0';

/**
 * Checks a request as Graph v1.0 would before it reaches a resource: the version segment, a path
 * that one of the OpenAPI path templates matches (segment names case-insensitive, as Graph's are),
 * a method that path has, query options the operation declares (`$select` naming real properties),
 * and a body that fits the operation's schema.
 */
export class GraphRouter {
  private readonly compiled: CompiledOperation[];

  constructor(operations: GraphOperation[] = graphV1Operations()) {
    this.compiled = operations.map((operation) => ({ operation, ...parseTemplate(operation.uriTemplate) }));
  }

  route(method: string, url: URL, rawBody: string): RoutedRequest | GraphRefusal {
    const parts = url.pathname
      .split('/')
      .filter((p) => p !== '')
      .map((p) => decodeURIComponent(p));
    if (parts[0] !== VERSION) {
      return { status: 400, code: 'BadRequest', message: `Invalid version: ${parts[0] ?? ''}` };
    }
    const path = parts.slice(1);
    const candidates = this.compiled
      .map((c) => ({ c, params: matchSegments(c.segments, path) }))
      .filter((m): m is { c: CompiledOperation; params: Record<string, string> } => m.params !== undefined);
    if (candidates.length === 0) {
      return {
        status: 400,
        code: 'BadRequest',
        message: `Resource not found for the segment '${path[path.length - 1] ?? ''}'.`,
      };
    }
    const found = candidates.find((m) => m.c.operation.method === method);
    if (found === undefined) {
      return {
        status: 405,
        code: 'Request_BadRequest',
        message: 'Specified HTTP method is not allowed for the request target.',
      };
    }
    const queryRefusal = checkQuery(found.c, url.searchParams);
    if (queryRefusal !== undefined) return queryRefusal;
    const body = parseBody(found.c.operation, rawBody);
    if ('status' in body) return body;
    return { operation: found.c.operation, params: found.params, body: body.value };
  }
}

function matchSegments(template: string[], path: string[]): Record<string, string> | undefined {
  if (template.length !== path.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < template.length; i += 1) {
    const t = template[i] ?? '';
    const p = path[i] ?? '';
    const param = /^\{(.+)\}$/.exec(t)?.[1];
    if (param !== undefined) {
      if (p === '') return undefined;
      params[param] = p;
    } else if (t.toLowerCase() !== p.toLowerCase()) return undefined;
  }
  return params;
}

function checkQuery(compiled: CompiledOperation, query: URLSearchParams): GraphRefusal | undefined {
  for (const [name, value] of query) {
    if (!name.startsWith('$')) continue;
    if (!compiled.query.includes(name)) {
      return { status: 400, code: 'BadRequest', message: `Query option '${name}' is not allowed.` };
    }
    if (name === '$select' && compiled.operation.resource !== undefined) {
      const unknown = unknownSelect(compiled.operation.resource, value);
      if (unknown !== undefined) {
        return {
          status: 400,
          code: 'Request_BadRequest',
          message: `Could not find a property named '${unknown}' on type '${compiled.operation.resource.name}'.`,
        };
      }
    }
  }
  return undefined;
}

function unknownSelect(resource: EntitySchema, select: string): string | undefined {
  return select
    .split(',')
    .map((s) => s.trim())
    .find((s) => s !== '' && !resource.properties.has(s));
}

function parseBody(operation: GraphOperation, raw: string): { value: unknown } | GraphRefusal {
  if (operation.body === undefined) {
    return raw.trim() === ''
      ? { value: undefined }
      : { status: 400, code: 'BadRequest', message: 'This operation takes no request body.' };
  }
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return { status: 400, code: 'BadRequest', message: 'Unable to read JSON request payload.' };
  }
  const problems = bodyProblems(operation.body, value);
  if (problems.length > 0) return { status: 400, code: 'Request_BadRequest', message: problems.join('; ') };
  return { value };
}
