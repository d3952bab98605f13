/**
 * Pending correlations: who waits for a response to which message. Conditional updates decide
 * races: the first response wins, a timeout only fires while still pending.
 */
import { createHash, randomUUID } from 'node:crypto';
import { GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { getConfig } from '../config';
import type { Headers } from '../core/protocol';
import { documentClient, isConditionFailed } from './client';
import { TTL_ATTRIBUTE } from './schema';

export type Issuer = { readonly kind: 'ws'; readonly connectionId: string } | { readonly kind: 'http' };

export interface StoredResponse {
  readonly status: number;
  readonly headers: Headers;
  readonly value?: unknown;
}

export interface Correlation {
  readonly key: string;
  /** Random per issuing request: only its own waiter reads, consumes or expires it. */
  readonly owner: string;
  readonly thingId: string;
  readonly correlationId: string;
  readonly topic: string;
  readonly path: string;
  readonly issuer: Issuer;
  /** `delivered`: an HTTP waiter has taken its answer (WebSocket issuers get it with `answered`). */
  readonly state: 'pending' | 'answered' | 'timedOut' | 'delivered';
  /** Deadline in epoch milliseconds. */
  readonly expiresAt: number;
  readonly timeoutMs: number;
  readonly response?: StoredResponse;
}

/**
 * One key per thing, message path and correlation-id: a sender can only ever collide with senders of
 * the very same message (a claim or another subject's message cannot touch it). Hashed, so long
 * subjects and ids stay inside DynamoDB's 2 KB key limit.
 */
export const correlationKey = (thingId: string, path: string, correlationId: string): string =>
  `${thingId}\n${createHash('sha256')
    .update(JSON.stringify([path, correlationId]))
    .digest('base64url')}`;

/** A pending correlation past its deadline may be replaced only after this grace (its timeout check may still run). */
export const STALE_GRACE_MS = 60_000;

/** Raised when a correlation-id is already pending for the thing. */
export class CorrelationTakenError extends Error {
  constructor(readonly key: string) {
    super('Correlation already pending.');
    this.name = 'CorrelationTakenError';
  }
}

export class CorrelationsRepository {
  constructor(private readonly client: () => DynamoDBDocumentClient = documentClient) {}

  private get table() {
    return getConfig().tables.correlations;
  }

  /**
   * Records a correlation, unless one with the same key still belongs to someone: pending (until
   * well past its deadline) or answered but not yet taken by its HTTP waiter. Finished ones
   * (timed out, delivered, or answered to a WebSocket issuer) may be reused at once.
   */
  async create(correlation: Omit<Correlation, 'key' | 'state' | 'owner'>): Promise<Correlation> {
    const key = correlationKey(correlation.thingId, correlation.path, correlation.correlationId);
    const item: Correlation = { ...correlation, key, owner: randomUUID(), state: 'pending' };
    const isNew = 'attribute_not_exists(#k)';
    const isFinished = '#state IN (:timedOut, :delivered) OR (#state = :answered AND #issuer.kind = :ws)';
    const isAbandoned = 'expiresAt < :staleBefore';
    try {
      await this.client().send(
        new PutCommand({
          TableName: this.table,
          Item: { ...item, [TTL_ATTRIBUTE]: Math.ceil(item.expiresAt / 1000) + 300 },
          ConditionExpression: `${isNew} OR ${isFinished} OR ${isAbandoned}`,
          ExpressionAttributeNames: { '#k': 'key', '#state': 'state', '#issuer': 'issuer' },
          ExpressionAttributeValues: {
            ':timedOut': 'timedOut',
            ':delivered': 'delivered',
            ':answered': 'answered',
            ':ws': 'ws',
            ':staleBefore': Date.now() - STALE_GRACE_MS,
          },
        }),
      );
    } catch (e) {
      if (isConditionFailed(e)) throw new CorrelationTakenError(item.key);
      throw e;
    }
    return item;
  }

  /** Strongly consistent by default; `consistent: false` costs half a read unit (a hint, never a decision). */
  async get(key: string, consistent = true): Promise<Correlation | undefined> {
    const out = await this.client().send(new GetCommand({ TableName: this.table, Key: { key }, ConsistentRead: consistent }));
    return out.Item as Correlation | undefined;
  }

  /**
   * First response wins: only a pending, unexpired correlation for the same topic and path, not issued
   * by the responding connection itself, accepts it. One conditional write, no read before it.
   * Returns undefined when the response is dropped.
   */
  async answer(
    key: string,
    response: StoredResponse,
    expect: { topic: string; path: string; responderConnectionId?: string },
  ): Promise<Correlation | undefined> {
    const sameMessage = '#topic = :topic AND #path = :path';
    const notFromIssuer = 'attribute_not_exists(#issuer.connectionId) OR #issuer.connectionId <> :responder';
    return this.transition(
      key,
      'answered',
      `expiresAt >= :now AND ${sameMessage} AND (${notFromIssuer})`,
      { ':now': Date.now(), ':topic': expect.topic, ':path': expect.path, ':responder': expect.responderConnectionId ?? '-' },
      response,
      { '#topic': 'topic', '#path': 'path', '#issuer': 'issuer' },
    );
  }

  /** Marks the owner's still-pending correlation as timed out; undefined when it was answered (or is not its own). */
  async expire(key: string, owner: string): Promise<Correlation | undefined> {
    return this.transition(key, 'timedOut', '#owner = :owner', { ':owner': owner }, undefined, { '#owner': 'owner' });
  }

  /**
   * The HTTP waiter took its answer: the item is finished (its id may be reused) and the response
   * is not kept. Only the owner can do this, only once.
   */
  async consume(key: string, owner: string): Promise<void> {
    try {
      await this.client().send(
        new UpdateCommand({
          TableName: this.table,
          Key: { key },
          UpdateExpression: 'SET #state = :delivered REMOVE #response',
          ConditionExpression: '#state = :answered AND #owner = :owner',
          ExpressionAttributeNames: { '#state': 'state', '#owner': 'owner', '#response': 'response' },
          ExpressionAttributeValues: { ':delivered': 'delivered', ':answered': 'answered', ':owner': owner },
        }),
      );
    } catch (e) {
      if (!isConditionFailed(e)) throw e;
    }
  }

  private async transition(
    key: string,
    state: Correlation['state'],
    extraCondition: string,
    extraValues: Record<string, unknown> = {},
    response?: StoredResponse,
    extraNames: Record<string, string> = {},
  ): Promise<Correlation | undefined> {
    try {
      const out = await this.client().send(
        new UpdateCommand({
          TableName: this.table,
          Key: { key },
          UpdateExpression: response ? 'SET #state = :state, #response = :response' : 'SET #state = :state',
          ConditionExpression: `attribute_exists(#k) AND #state = :pending AND ${extraCondition}`,
          ExpressionAttributeNames: { '#k': 'key', '#state': 'state', ...extraNames, ...(response ? { '#response': 'response' } : {}) },
          ExpressionAttributeValues: { ':state': state, ':pending': 'pending', ...extraValues, ...(response ? { ':response': response } : {}) },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return out.Attributes as Correlation;
    } catch (e) {
      if (isConditionFailed(e)) return undefined;
      throw e;
    }
  }
}
