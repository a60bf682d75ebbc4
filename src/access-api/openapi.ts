/** The access API as an OpenAPI 3.1 document, served at GET /v1/openapi.json. */
const error = {
  description: 'Refused: `{"error":{"code","message"}}`, never a value',
  content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
};
const unauthorized = {
  ...error,
  description: 'Missing or bad token; `WWW-Authenticate: Bearer error="invalid_token"`',
};
const requestAnswer = {
  content: { 'application/json': { schema: { $ref: '#/components/schemas/AccessRequest' } } },
};
const idParam = { name: 'id', in: 'path', required: true, schema: { type: 'string' } };
const dateTime = { type: 'string', format: 'date-time' };

/** Plain string properties of an object schema, in the order given. */
function strings(...names: string[]): Record<string, { type: 'string' }> {
  return Object.fromEntries(names.map((name) => [name, { type: 'string' as const }]));
}

export const OPENAPI = {
  openapi: '3.1.0',
  info: {
    title: 'rotator access API',
    version: '1',
    description:
      'Just-in-time checkouts of managed secrets. Every call carries a Microsoft Entra access token; ' +
      'app roles Rotator.Checkout (request, check out) and Rotator.Approve (decide others’ requests).',
  },
  components: {
    securitySchemes: { entra: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
    schemas: {
      Error: {
        type: 'object',
        properties: {
          error: {
            type: 'object',
            properties: { code: { type: 'string' }, message: { type: 'string' } },
            required: ['code', 'message'],
          },
        },
      },
      Principal: { type: 'object', properties: { id: { type: 'string' }, name: { type: 'string' } } },
      AccessRequest: {
        type: 'object',
        properties: {
          ...strings('id', 'secret', 'vault'),
          requester: { $ref: '#/components/schemas/Principal' },
          ...strings('reason', 'ticket'),
          duration: { type: 'string', description: 'ISO-8601, at most ROTATOR_ACCESS_MAX' },
          createdAt: dateTime,
          decideBy: dateTime,
          state: { enum: ['pending', 'approved', 'denied', 'expired', 'used'] },
          approver: { $ref: '#/components/schemas/Principal' },
          decidedAt: dateTime,
          windowEndsAt: dateTime,
          usedAt: dateTime,
        },
      },
    },
  },
  security: [{ entra: [] }],
  paths: {
    '/v1/secrets/{name}/checkout': {
      post: {
        summary:
          'Check a secret out: the usage is recorded (checked-out-at, forced rotation) before the value is returned',
        parameters: [{ name: 'name', in: 'path', required: true, schema: { type: 'string' } }],
        requestBody: {
          content: {
            'application/json': {
              schema: {
                type: 'object',
                required: ['reason', 'ticket'],
                properties: strings('reason', 'ticket', 'requestId'),
              },
            },
          },
        },
        responses: {
          200: {
            description: 'The value, with when the forced rotation comes',
            content: {
              'application/json': {
                schema: {
                  type: 'object',
                  properties: strings('secret', 'vault', 'value', 'checkoutId', 'forcedAt', 'requestId'),
                },
              },
            },
          },
          400: error,
          401: unauthorized,
          403: { ...error, description: 'Role, approval or window missing' },
          404: { ...error, description: 'No such managed secret' },
          413: error,
        },
      },
    },
    '/v1/requests': {
      post: {
        summary: 'Ask for access to a secret whose policy needs approval',
        requestBody: {
          content: {
            'application/json': {
              schema: {
                type: 'object',
                required: ['secret', 'reason', 'ticket'],
                properties: strings('secret', 'reason', 'ticket', 'duration'),
              },
            },
          },
        },
        responses: { 201: requestAnswer, 400: error, 401: unauthorized, 403: error, 404: error },
      },
      get: {
        summary: 'Requests with their state (approvers see all, others their own)',
        parameters: [{ name: 'pending', in: 'query', schema: { type: 'boolean' } }],
        responses: { 200: { description: '{"requests":[…]}' }, 401: unauthorized, 403: error },
      },
    },
    '/v1/requests/{id}/approve': {
      post: {
        summary: 'Approve someone else’s pending request; opens its window',
        parameters: [idParam],
        responses: { 200: requestAnswer, 401: unauthorized, 403: error, 404: error, 409: error },
      },
    },
    '/v1/requests/{id}/deny': {
      post: {
        summary: 'Deny someone else’s pending request (reason required)',
        parameters: [idParam],
        responses: { 200: requestAnswer, 400: error, 401: unauthorized, 403: error, 404: error, 409: error },
      },
    },
  },
} as const;
