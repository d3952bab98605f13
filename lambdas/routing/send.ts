/**
 * Routing one live message: authorise the sender (WRITE, claims excepted), find READers through the
 * subscription index, record the pending correlation, fan out in parallel.
 */
import { getConfig } from '../config';
import { CorrelationConflictError, PayloadTooLargeError, SendNotAllowedError, ThingNotFoundError } from '../core/errors';
import { isClaim, type LiveMessage, recipientEnvelope, resourceOf, selectRecipients } from '../core/messages';
import { type Enforcer, readableView } from '../core/policy';
import { formatEnvelope, type Headers } from '../core/protocol';
import { closeExpired, fanOut } from '../gateway/fanout';
import { enqueueFanOut, planFanOut } from '../gateway/fanout-queue';
import { enqueueTargetPush } from '../gateway/target-queue';
import { selectTargets } from '../core/targets/select';
import { connectionTargets } from '../targets/catalog';
import { type Correlation, CorrelationTakenError, type Issuer } from '../store/correlations';
import { correlations, sessions } from '../store/repositories';
import { logger, payloadForDebug } from '../observability/logger';
import { record } from '../observability/metrics';
import { accessCache, type ThingAccess } from './access';

export interface Sender {
  readonly subjects: readonly string[];
  /** The sending WebSocket connection (never echoed to). */
  readonly connectionId?: string;
}

export interface SendOptions {
  /** Set when the issuer waits for a response. */
  readonly wait?: { readonly issuer: Issuer; readonly timeoutMs: number };
  /** Headers added to what recipients get (e.g. a timeout cut to the HTTP limit). */
  readonly extraHeaders?: Headers;
}

/** The counts of a send are logged (`message routed`); callers only need the correlation they wait on. */
export interface SendResult {
  readonly correlation?: Correlation;
}

/** May the sender see this thing at all (thing READ or any message permission)? Else it is "not found". */
function canSee(enforcer: Enforcer, subjects: readonly string[]): boolean {
  return (
    enforcer.hasAnyGrant(subjects, 'thing', 'READ') || enforcer.hasAnyGrant(subjects, 'message', 'READ') || enforcer.hasAnyGrant(subjects, 'message', 'WRITE')
  );
}

async function authorizeSend(message: LiveMessage, sender: Sender): Promise<ThingAccess> {
  const access = await accessCache().load(message.thingId);
  if (!access) throw new ThingNotFoundError(message.thingId);
  if (isClaim(message)) return access; // claims need no permission; the thing must exist
  const { enforcer } = access;
  if (!enforcer || !canSee(enforcer, sender.subjects)) throw new ThingNotFoundError(message.thingId);
  if (!enforcer.may(sender.subjects, resourceOf(message), 'WRITE')) throw new SendNotAllowedError(message.thingId);
  return access;
}

export async function sendLiveMessage(message: LiveMessage, sender: Sender, options: SendOptions = {}): Promise<SendResult> {
  const startedAt = Date.now();
  const { thing, enforcer } = await authorizeSend(message, sender);
  // What recipients get, formatted once: its size is the limit that API Gateway enforces on delivery.
  const data = formatEnvelope(recipientEnvelope(message, sender.subjects[0], options.extraHeaders, getConfig().withheldHeaders));
  const { maxMessageBytes } = getConfig();
  const size = Buffer.byteLength(data);
  if (size > maxMessageBytes) throw new PayloadTooLargeError(size, maxMessageBytes);
  const readers = enforcer ? enforcer.readers(resourceOf(message), 'READ') : { granted: new Set<string>(), revoked: new Set<string>() };

  // The correlation must exist before anyone can answer: write it alongside the index query.
  const [candidates, correlation, connections] = await Promise.all([
    sessions().subscriptionsFor(readers.granted),
    options.wait && message.correlationId !== undefined ? recordCorrelation(message, options.wait) : Promise.resolve(undefined),
    connectionTargets(),
  ]);

  const facts = {
    thingId: message.thingId,
    namespace: message.namespace,
    subject: message.subject,
    direction: message.direction,
    ...(message.featureId !== undefined ? { featureId: message.featureId } : {}),
    // A filter sees only the attributes its connection may READ (else it could bisect secrets).
    ...(enforcer ? { attributesFor: (subjects: readonly string[]) => readableView(enforcer, subjects, 'thing:/attributes', thing.attributes) } : {}),
  };
  const { recipients, expired } = selectRecipients(candidates, readers, facts, sender.connectionId);
  const targets = selectTargets(connections, readers, facts);
  // Large fan-outs: post the first batch here, hand the others to parallel fan-out invocations.
  const [inline, ...rest] = planFanOut(recipients, data, getConfig().fanoutBatchSize);
  const [{ delivered, gone, failed }] = await Promise.all([
    fanOut(inline ?? [], data, startedAt),
    enqueueFanOut(rest.map((batch) => ({ data, recipients: batch }))),
    closeExpired(expired),
    enqueueTargetPush(data, targets),
  ]);
  record('MessagesSent');
  logger.debug('message routed', {
    subject: message.subject,
    recipients: recipients.length,
    targets: targets.length,
    delivered, // by this invocation; `queued` ones by fan-out invocations
    queued: recipients.length - (inline?.length ?? 0),
    gone,
    failed, // after retries
    bytes: size,
    payload: payloadForDebug(message.value),
  });
  record('RecipientsPerMessage', recipients.length);
  return correlation ? { correlation } : {};
}

async function recordCorrelation(message: LiveMessage, wait: NonNullable<SendOptions['wait']>): Promise<Correlation> {
  try {
    return await correlations().create({
      thingId: message.thingId,
      correlationId: message.correlationId!,
      topic: message.topic,
      path: message.path,
      issuer: wait.issuer,
      timeoutMs: wait.timeoutMs,
      expiresAt: Date.now() + wait.timeoutMs,
    });
  } catch (e) {
    if (e instanceof CorrelationTakenError) throw new CorrelationConflictError(message.correlationId!);
    throw e;
  }
}
