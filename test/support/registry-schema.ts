/**
 * The MCP Registry API's answer shapes, transcribed from the official registry's OpenAPI document
 * (modelcontextprotocol/registry docs/reference/api/openapi.yaml, components for API v0.1 and server.json
 * 2025-12-11: ServerList, ServerResponse, ServerDetail, Package, transports, inputs), for validating the
 * gateway's answers with Ajv in tests.
 */
const input = {
  type: 'object',
  properties: {
    description: { type: 'string' },
    isRequired: { type: 'boolean' },
    format: { type: 'string', enum: ['string', 'number', 'boolean', 'filepath'] },
    value: { type: 'string' },
    isSecret: { type: 'boolean' },
    default: { type: 'string' },
    placeholder: { type: 'string' },
    choices: { type: 'array', items: { type: 'string' } },
  },
};
const inputWithVariables = {
  allOf: [
    { $ref: '#/definitions/Input' },
    {
      type: 'object',
      properties: { variables: { type: 'object', additionalProperties: { $ref: '#/definitions/Input' } } },
    },
  ],
};
const url = { type: 'string', pattern: '^(https?://[^\\s]+|\\{[a-zA-Z_][a-zA-Z0-9_]*\\}[^\\s]*)$' };
const headers = { type: 'array', items: { $ref: '#/definitions/KeyValueInput' } };

const definitions = {
  Input: input,
  InputWithVariables: inputWithVariables,
  KeyValueInput: {
    allOf: [
      { $ref: '#/definitions/InputWithVariables' },
      { type: 'object', required: ['name'], properties: { name: { type: 'string' } } },
    ],
  },
  PositionalArgument: {
    allOf: [
      { $ref: '#/definitions/InputWithVariables' },
      {
        type: 'object',
        required: ['type'],
        properties: {
          type: { type: 'string', enum: ['positional'] },
          valueHint: { type: 'string' },
          isRepeated: { type: 'boolean' },
        },
        anyOf: [{ required: ['valueHint'] }, { required: ['value'] }],
      },
    ],
  },
  NamedArgument: {
    allOf: [
      { $ref: '#/definitions/InputWithVariables' },
      {
        type: 'object',
        required: ['type', 'name'],
        properties: {
          type: { type: 'string', enum: ['named'] },
          name: { type: 'string' },
          isRepeated: { type: 'boolean' },
        },
      },
    ],
  },
  Argument: {
    anyOf: [{ $ref: '#/definitions/PositionalArgument' }, { $ref: '#/definitions/NamedArgument' }],
  },
  StdioTransport: {
    type: 'object',
    required: ['type'],
    properties: { type: { type: 'string', enum: ['stdio'] } },
  },
  StreamableHttpTransport: {
    type: 'object',
    required: ['type', 'url'],
    properties: { type: { type: 'string', enum: ['streamable-http'] }, url, headers },
  },
  SseTransport: {
    type: 'object',
    required: ['type', 'url'],
    properties: { type: { type: 'string', enum: ['sse'] }, url, headers },
  },
  LocalTransport: {
    anyOf: [
      { $ref: '#/definitions/StdioTransport' },
      { $ref: '#/definitions/StreamableHttpTransport' },
      { $ref: '#/definitions/SseTransport' },
    ],
  },
  RemoteTransport: {
    allOf: [
      { anyOf: [{ $ref: '#/definitions/StreamableHttpTransport' }, { $ref: '#/definitions/SseTransport' }] },
      {
        type: 'object',
        properties: { variables: { type: 'object', additionalProperties: { $ref: '#/definitions/Input' } } },
      },
    ],
  },
  Package: {
    type: 'object',
    required: ['registryType', 'identifier', 'transport'],
    properties: {
      registryType: { type: 'string' },
      registryBaseUrl: { type: 'string', format: 'uri' },
      identifier: { type: 'string' },
      version: { type: 'string', minLength: 1, not: { const: 'latest' } },
      fileSha256: { type: 'string', pattern: '^[a-f0-9]{64}$' },
      runtimeHint: { type: 'string' },
      transport: { $ref: '#/definitions/LocalTransport' },
      runtimeArguments: { type: 'array', items: { $ref: '#/definitions/Argument' } },
      packageArguments: { type: 'array', items: { $ref: '#/definitions/Argument' } },
      environmentVariables: { type: 'array', items: { $ref: '#/definitions/KeyValueInput' } },
    },
  },
  Repository: {
    type: 'object',
    required: ['url', 'source'],
    properties: {
      url: { type: 'string', format: 'uri' },
      source: { type: 'string' },
      id: { type: 'string' },
      subfolder: { type: 'string' },
    },
  },
  ServerDetail: {
    type: 'object',
    required: ['name', 'description', 'version'],
    properties: {
      name: { type: 'string', minLength: 3, maxLength: 200, pattern: '^[a-zA-Z0-9.-]+/[a-zA-Z0-9._-]+$' },
      description: { type: 'string', minLength: 1, maxLength: 100 },
      title: { type: 'string', minLength: 1, maxLength: 100 },
      repository: { $ref: '#/definitions/Repository' },
      version: { type: 'string', maxLength: 255 },
      websiteUrl: { type: 'string', format: 'uri' },
      $schema: { type: 'string', format: 'uri' },
      packages: { type: 'array', items: { $ref: '#/definitions/Package' } },
      remotes: { type: 'array', items: { $ref: '#/definitions/RemoteTransport' } },
      _meta: { type: 'object' },
    },
  },
  ServerResponse: {
    type: 'object',
    required: ['server'],
    properties: {
      server: { $ref: '#/definitions/ServerDetail' },
      _meta: {
        type: 'object',
        properties: {
          'io.modelcontextprotocol.registry/official': {
            type: 'object',
            properties: {
              status: { type: 'string', enum: ['active', 'deprecated', 'deleted'] },
              isLatest: { type: 'boolean' },
            },
          },
        },
        additionalProperties: true,
      },
    },
  },
  ServerList: {
    type: 'object',
    required: ['servers'],
    properties: {
      servers: { type: 'array', items: { $ref: '#/definitions/ServerResponse' } },
      metadata: {
        type: 'object',
        properties: { nextCursor: { type: 'string' }, count: { type: 'integer' } },
      },
    },
  },
};

/** A schema whose root is `definition`, with every definition beside it. */
export function registrySchema(definition: keyof typeof definitions) {
  return { $ref: `#/definitions/${definition}`, definitions };
}
