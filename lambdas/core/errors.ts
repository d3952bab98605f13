/**
 * Typed errors with Ditto's error vocabulary. Every failure a client can see is a DittoError;
 * `to-ditto-error.ts` is the only place that turns errors into HTTP responses or envelopes.
 */
export interface DittoErrorBody {
  readonly status: number;
  readonly error: string;
  readonly message: string;
  readonly description?: string;
}

export class DittoError extends Error {
  constructor(
    readonly status: number,
    readonly error: string,
    message: string,
    readonly description?: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'DittoError';
  }

  toJson(): DittoErrorBody {
    return {
      status: this.status,
      error: this.error,
      message: this.message,
      ...(this.description !== undefined ? { description: this.description } : {}),
    };
  }
}

export class AuthenticationFailedError extends DittoError {
  constructor(description = 'Provide a valid JWT as Bearer token (or HTTP Basic credentials where enabled).') {
    super(401, 'gateway:authentication.failed', 'Unauthorized: the request could not be authenticated.', description);
    this.name = 'AuthenticationFailedError';
  }
}

type ErrorArgs = [status: number, error: string, message: string, description: string];
const ENTITIES = {
  thing: { label: 'Thing', prefix: 'things', code: 'things:thing' },
  policy: { label: 'Policy', prefix: 'policies', code: 'policies:policy' },
} as const;
type Entity = keyof typeof ENTITIES;
const CHECK_ID = (label: string) => `Check if the ID of your requested ${label} was correct and you have sufficient permissions.`;

const idInvalid = (entity: Entity, id: string): ErrorArgs => [
  400,
  `${ENTITIES[entity].prefix}:id.invalid`,
  `${ENTITIES[entity].label} ID '${truncate(id)}' is not valid!`,
  "It must conform to the namespaced entity ID notation (see Ditto documentation): '<namespace>:<name>', at most 256 characters.",
];
const notFound = (entity: Entity, id: string): ErrorArgs => [
  404,
  `${ENTITIES[entity].code}.notfound`,
  `The ${ENTITIES[entity].label} with ID '${id}' could not be found or requester had insufficient permissions to access it.`,
  CHECK_ID(ENTITIES[entity].label),
];
const notModifiable = (entity: Entity, id: string): ErrorArgs => [
  403,
  `${ENTITIES[entity].code}.notmodifiable`,
  `The ${ENTITIES[entity].label} with ID '${id}' could not be modified as the requester had insufficient permissions to modify it.`,
  CHECK_ID(ENTITIES[entity].label),
];
const conflict = (entity: Entity, id: string): ErrorArgs => [
  412,
  `${ENTITIES[entity].prefix}:precondition.failed`,
  `The ${ENTITIES[entity].label} with ID '${id}' was modified concurrently.`,
  `Read the ${ENTITIES[entity].label} again and retry your change.`,
];

export class ThingIdInvalidError extends DittoError {
  constructor(id: string) {
    super(...idInvalid('thing', id));
    this.name = 'ThingIdInvalidError';
  }
}

export class PolicyIdInvalidError extends DittoError {
  constructor(id: string) {
    super(...idInvalid('policy', id));
    this.name = 'PolicyIdInvalidError';
  }
}

export class ThingNotFoundError extends DittoError {
  constructor(id: string) {
    super(...notFound('thing', id));
    this.name = 'ThingNotFoundError';
  }
}

export class ThingNotModifiableError extends DittoError {
  constructor(id: string) {
    super(...notModifiable('thing', id));
    this.name = 'ThingNotModifiableError';
  }
}

export class ThingConflictError extends DittoError {
  constructor(id: string) {
    super(...conflict('thing', id));
    this.name = 'ThingConflictError';
  }
}

export class PolicyNotFoundError extends DittoError {
  constructor(id: string) {
    super(...notFound('policy', id));
    this.name = 'PolicyNotFoundError';
  }
}

export class PolicyNotModifiableError extends DittoError {
  constructor(id: string) {
    super(...notModifiable('policy', id));
    this.name = 'PolicyNotModifiableError';
  }
}

export class PolicyModificationInvalidError extends DittoError {
  constructor(id: string) {
    super(
      403,
      'policies:policy.modificationinvalid',
      `The Policy with ID '${id}' could not be modified as the resulting Policy would be invalid.`,
      "There must always be at least one Policy subject with permission 'WRITE' on resource 'policy:/'.",
    );
    this.name = 'PolicyModificationInvalidError';
  }
}

export class PolicyConflictError extends DittoError {
  constructor(id: string) {
    super(...conflict('policy', id));
    this.name = 'PolicyConflictError';
  }
}

const kB = (chars: number) => String(Math.round((chars / 1024) * 1000) / 1000);

/** Ditto's `policies:policy.toolarge` / `things:thing.toolarge` (sizes are JSON characters, as Ditto counts). */
export class EntityTooLargeError extends DittoError {
  constructor(entity: Entity, size: number, max: number) {
    super(
      413,
      `${ENTITIES[entity].code}.toolarge`,
      `The size of '${kB(size)}' kB exceeds the maximal allowed ${ENTITIES[entity].label} size of '${kB(max)}' kB.`,
      `Reduce the ${ENTITIES[entity].label} size in the bounds of the specified limit`,
    );
    this.name = 'EntityTooLargeError';
  }
}

/** Ditto's answer when a thing's implicit or inline policy cannot be created (its id is taken). */
export class ThingNotCreatableError extends DittoError {
  constructor(thingId: string, policyId: string) {
    super(
      400,
      'things:thing.notcreatable',
      `The Thing with ID '${thingId}' could not be created because creation of its implicit Policy ID '${policyId}' failed.`,
      "If you want to use an existing Policy, specify it as 'policyId' in the Thing JSON you create.",
    );
    this.name = 'ThingNotCreatableError';
  }
}

/** Ditto's entity-creation restriction (`ditto.entity-creation`) said no. */
export class EntityNotCreatableError extends DittoError {
  constructor(id: string, namespace: string) {
    super(
      403,
      'entity.notcreatable',
      `The Entity with ID '${id}' could not be created as the creation was configured not to be allowed.`,
      `The entity creation was configured not to be allowed for the authenticated subject(s) in namespace '${namespace}'. Check with your administrator if that was unexpected.`,
    );
    this.name = 'EntityNotCreatableError';
  }
}

/** Ditto's `things:precondition.failed` / `policies:precondition.failed` for a conditional header that evaluated to false. */
export class PreconditionFailedError extends DittoError {
  constructor(entity: Entity, header: string) {
    super(
      412,
      `${ENTITIES[entity].prefix}:precondition.failed`,
      `The comparison of precondition header '${header}' for the requested ${ENTITIES[entity].label} resource evaluated to false.`,
      `The comparison of the provided precondition header '${header}' with the current ETag value of the requested ${ENTITIES[entity].label} resource evaluated to false. Check the value of your conditional header value.`,
    );
    this.name = 'PreconditionFailedError';
  }
}

/** Ditto's `things:policyId.notdeletable`: a thing always has a policy. */
export class PolicyIdNotDeletableError extends DittoError {
  constructor(thingId: string) {
    super(
      400,
      'things:policyId.notdeletable',
      `The Policy ID of the Thing with ID '${thingId}' cannot be deleted.`,
      'A Thing always needs a Policy: set another policyId instead.',
    );
    this.name = 'PolicyIdNotDeletableError';
  }
}

/** A GET whose If-None-Match matches: 304 with the ETag and no body (not an error for the client). */
export class NotModifiedError extends DittoError {
  constructor(readonly etag: string) {
    super(304, 'not.modified', 'Not Modified.', 'The resource has not changed since the ETag given in If-None-Match.');
    this.name = 'NotModifiedError';
  }
}

export class PolicyInvalidError extends DittoError {
  constructor(description: string) {
    super(400, 'policies:policy.invalid', 'The Policy is not valid.', description);
    this.name = 'PolicyInvalidError';
  }
}

export class JsonInvalidError extends DittoError {
  constructor(description: string) {
    super(400, 'json.invalid', 'Failed to parse JSON.', description);
    this.name = 'JsonInvalidError';
  }
}

export class ThingInvalidError extends DittoError {
  constructor(description: string) {
    super(400, 'things:thing.invalid', 'The Thing is not valid.', description);
    this.name = 'ThingInvalidError';
  }
}

export class MessageFormatInvalidError extends DittoError {
  constructor(description: string) {
    super(400, 'messages:messageformat.invalid', 'The message is not valid.', description);
    this.name = 'MessageFormatInvalidError';
  }
}

export class SubjectInvalidError extends DittoError {
  constructor(subject: string) {
    super(
      400,
      'messages:subject.invalid',
      `The message subject '${truncate(subject)}' is not valid.`,
      "A message subject must not be empty and must not be '/' alone.",
    );
    this.name = 'SubjectInvalidError';
  }
}

export class SendNotAllowedError extends DittoError {
  constructor(thingId: string) {
    super(
      403,
      'messages:send.notallowed',
      `You are not allowed to send messages for the Thing with id '${thingId}'!`,
      'Check whether the policy of the Thing grants you WRITE on the message resource.',
    );
    this.name = 'SendNotAllowedError';
  }
}

export class PayloadInvalidError extends DittoError {
  constructor(description: string) {
    super(400, 'messages:payload.invalid', 'The message payload is not valid for its content-type.', description);
    this.name = 'PayloadInvalidError';
  }
}

export class PayloadTooLargeError extends DittoError {
  constructor(size: number, max: number) {
    super(
      413,
      'messages:payload.toolarge',
      `The size of '${size}' bytes exceeds the maximal allowed message size of '${max}' bytes.`,
      'Reduce the size of the message payload.',
    );
    this.name = 'PayloadTooLargeError';
  }
}

export class TimeoutInvalidError extends DittoError {
  constructor(value: string) {
    super(
      400,
      'timeout.invalid',
      `The timeout '${truncate(value)}' is not valid.`,
      "Use a non-negative number of seconds, or a duration such as '250ms', '2s' or '1m'.",
    );
    this.name = 'TimeoutInvalidError';
  }
}

export class RequestTimeoutError extends DittoError {
  constructor(timeoutMs: number, correlationId?: string) {
    super(
      408,
      'acknowledgement:request.timeout',
      `The request ran into a timeout after ${timeoutMs}ms${correlationId !== undefined ? ` (correlation-id '${correlationId}').` : '.'}`,
      'No response was received in time. Check that the recipient is connected and answers, or raise the timeout.',
    );
    this.name = 'RequestTimeoutError';
  }
}

export class RqlInvalidError extends DittoError {
  constructor(description: string) {
    super(400, 'rql.expression.invalid', 'The RQL filter expression is not valid.', description);
    this.name = 'RqlInvalidError';
  }
}

export class NamespacesInvalidError extends DittoError {
  constructor(description: string) {
    super(400, 'messages:namespaces.invalid', 'The namespaces option is not valid.', description);
    this.name = 'NamespacesInvalidError';
  }
}

export class NotImplementedError extends DittoError {
  constructor(what: string) {
    super(
      501,
      'gateway:method.notimplemented',
      `'${truncate(what)}' is not supported by this service.`,
      'This service routes live messages only: twin events, live commands/events, policy announcements and search are not available.',
    );
    this.name = 'NotImplementedError';
  }
}

export class ResourceNotFoundError extends DittoError {
  constructor(what: string) {
    super(404, 'gateway:resource.notfound', `The requested resource '${truncate(what)}' could not be found.`, 'Check the URL and the HTTP method.');
    this.name = 'ResourceNotFoundError';
  }
}

export class MethodNotAllowedError extends DittoError {
  constructor(method: string, path: string) {
    super(405, 'gateway:method.notallowed', `The method '${method}' is not allowed on '${truncate(path)}'.`, 'Check the HTTP method.');
    this.name = 'MethodNotAllowedError';
  }
}

export class HeaderInvalidError extends DittoError {
  constructor(name: string, description: string) {
    super(400, 'header.invalid', `The value of the header '${truncate(name)}' is not valid.`, description);
    this.name = 'HeaderInvalidError';
  }
}

export class TooManyHeadersError extends DittoError {
  constructor(description: string) {
    super(431, 'gateway:headers.toolarge', 'The headers of the request are too large.', description);
    this.name = 'TooManyHeadersError';
  }
}

export class CorrelationConflictError extends DittoError {
  constructor(correlationId: string) {
    super(
      409,
      'messages:correlation.conflict',
      `A message with correlation-id '${truncate(correlationId)}' is already waiting for a response for this Thing.`,
      'Use a unique correlation-id per message.',
    );
    this.name = 'CorrelationConflictError';
  }
}

export class ServiceUnavailableError extends DittoError {
  constructor(description = 'A backing service is temporarily unavailable. Retry shortly.', options?: ErrorOptions) {
    super(503, 'gateway:service.unavailable', 'The service is temporarily unavailable.', description, options);
    this.name = 'ServiceUnavailableError';
  }
}

export class InternalError extends DittoError {
  constructor() {
    super(500, 'gateway:internalerror', 'An unexpected error occurred.', 'The error was logged. Retry, and report it if it persists.');
    this.name = 'InternalError';
  }
}

export function truncate(value: string, max = 100): string {
  return value.length > max ? `${value.slice(0, max)}…` : value;
}

export class ConnectionConfigurationInvalidError extends DittoError {
  constructor(description: string) {
    super(400, 'connectivity:connection.configuration.invalid', 'The configuration of the connection is invalid.', description);
    this.name = 'ConnectionConfigurationInvalidError';
  }
}

export class ConnectionUriInvalidError extends DittoError {
  constructor(maskedUri: string) {
    super(
      400,
      'connectivity:connection.uri.invalid',
      `The Connection URI '${truncate(maskedUri, 200)}' has an invalid format.`,
      'The accepted format is {protocol}://{username}:{password}@{hostname}:{port}/{path} with protocol http or https and an explicit port.',
    );
    this.name = 'ConnectionUriInvalidError';
  }
}

export class ConnectionIdNotSettableError extends DittoError {
  constructor(generated: boolean) {
    super(
      400,
      'connectivity:id.notsettable',
      generated ? 'It is not allowed to provide an explicit ID for a connection.' : 'The ID in the body differs from the ID in the path.',
      generated ? 'Remove the ID from the connection as it will be generated.' : 'Remove the ID from the body or make it equal to the ID in the path.',
    );
    this.name = 'ConnectionIdNotSettableError';
  }
}

export class ConnectionNotFoundError extends DittoError {
  constructor(id: string) {
    super(
      404,
      'connectivity:connection.notfound',
      `The Connection with ID '${truncate(id)}' could not be found or requester had insufficient permissions to access it.`,
      'Check if the ID of your requested Connection was correct and you have sufficient permissions.',
    );
    this.name = 'ConnectionNotFoundError';
  }
}

export class ConnectionConflictError extends DittoError {
  constructor(id: string) {
    super(
      409,
      'connectivity:connection.conflict',
      `The Connection with ID '${truncate(id)}' already exists.`,
      'Choose another ID, or change the existing connection with PUT.',
    );
    this.name = 'ConnectionConflictError';
  }
}

/** Ditto answers a non-devops caller of the devops routes with 401 too. */
export class DevopsOnlyError extends DittoError {
  constructor() {
    super(
      401,
      'gateway:authentication.failed',
      'Unauthorized: only the devops identity may manage connections.',
      'Authenticate as the devops user (locally HTTP Basic devops/foobar) or as a subject listed in devopsSubjects.',
    );
    this.name = 'DevopsOnlyError';
  }
}
