import { serializeApplication, serializePasswordCredential } from '@microsoft/msgraph-sdk/models/index.js';
import { UserItemRequestBuilderRequestsMetadata } from '@microsoft/msgraph-sdk-users/users/item/index.js';
import { entity, parameters, type EntitySchema, type ModelSerializer } from './graph-schema';

/**
 * The Graph v1.0 operations the fake serves, each with its path template, its query options and its
 * request body schema, as Graph v1.0's OpenAPI description declares them.
 *
 * Where Microsoft publishes the generated request builders on npm (users: @microsoft/msgraph-sdk-users)
 * the template and methods are read from them. The applications builders are generated too but not
 * published (@microsoft/msgraph-sdk-applications is not on the registry), so their three paths are
 * written here in the same Kiota template form, copied from the OpenAPI paths
 * `/applications/{application-id}`, `…/addPassword` and `…/removePassword`; their bodies still come
 * from the published models (application, passwordCredential).
 */
export interface GraphOperation {
  method: 'GET' | 'PATCH' | 'POST' | 'DELETE';
  /** Kiota URI template, e.g. {+baseurl}/users/{user%2Did}{?%24expand,%24select}. */
  uriTemplate: string;
  body?: EntitySchema;
  /** The entity the path addresses, whose properties `$select` may name. */
  resource?: EntitySchema;
}

interface RequestMetadata {
  uriTemplate: string;
  requestBodySerializer?: ModelSerializer;
}

const application = entity('microsoft.graph.application', serializeApplication);

function fromBuilder(
  metadata: Record<string, RequestMetadata>,
  name: string,
  resource: EntitySchema | undefined,
): GraphOperation[] {
  return Object.entries(metadata).map(([method, m]) => ({
    method: method.toUpperCase() as GraphOperation['method'],
    uriTemplate: m.uriTemplate,
    ...(m.requestBodySerializer === undefined ? {} : { body: entity(name, m.requestBodySerializer) }),
    ...(resource === undefined ? {} : { resource }),
  }));
}

const APPLICATION_ITEM = '{+baseurl}/applications/{application%2Did}{?%24expand,%24select}';

export function graphV1Operations(): GraphOperation[] {
  const user = fromBuilder(
    UserItemRequestBuilderRequestsMetadata as unknown as Record<string, RequestMetadata>,
    'microsoft.graph.user',
    undefined,
  );
  const userResource = user.find((o) => o.body !== undefined)?.body;
  return [
    ...user.map((o) => (userResource === undefined ? o : { ...o, resource: userResource })),
    { method: 'GET', uriTemplate: APPLICATION_ITEM, resource: application },
    { method: 'PATCH', uriTemplate: APPLICATION_ITEM, body: application, resource: application },
    { method: 'DELETE', uriTemplate: APPLICATION_ITEM },
    {
      method: 'POST',
      uriTemplate: '{+baseurl}/applications/{application%2Did}/addPassword',
      body: parameters('microsoft.graph.addPassword', {
        passwordCredential: { kind: 'object', of: serializePasswordCredential },
      }),
    },
    {
      method: 'POST',
      uriTemplate: '{+baseurl}/applications/{application%2Did}/removePassword',
      body: parameters('microsoft.graph.removePassword', { keyId: { kind: 'guid' } }, ['keyId']),
    },
  ];
}

export interface ParsedTemplate {
  /** Literal segments and `{name}` parameters, after the version. */
  segments: string[];
  query: string[];
}

/** Splits a Kiota URI template into path segments and allowed query options. */
export function parseTemplate(uriTemplate: string): ParsedTemplate {
  const match = /^\{\+baseurl\}([^{?]*(?:\{[^?}]+\}[^{?]*)*)(?:\{\?([^}]*)\})?$/.exec(uriTemplate);
  if (match === null) throw new Error(`not a Kiota URI template: ${uriTemplate}`);
  const segments = (match[1] ?? '')
    .split('/')
    .filter((s) => s !== '')
    .map((s) => decodeURIComponent(s));
  const query = (match[2] ?? '')
    .split(',')
    .filter((q) => q !== '')
    .map((q) => decodeURIComponent(q));
  return { segments, query };
}
