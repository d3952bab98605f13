/**
 * Pending correlations: who waits for a response to which message. Conditional updates decide
 * races: the first response wins, a timeout only fires while still pending.
 */
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
  readonly thingId: string;
  readonly correlationId: string;
  readonly topic: string;
  readonly path: string;
  readonly issuer: Issuer;
  readonly state: 'pending' | 'answered' | 'timedOut';
  /** Deadline in epoch milliseconds. */
  readonly expiresAt: number;
  readonly timeoutMs: number;
  readonly response?: StoredResponse;
}

export const correlationKey = (thingId: string, correlationId: string): string => `${thingId}\n${correlationId}`;

/** Raised when a correlation-id is already pending for the thing. */
export class CorrelationTaken extends Error {
  constructor(readonly key: string) {
    super('Correlation already pending.');
    this.name = 'CorrelationTaken';
  }
}

export class CorrelationsRepository {
  constructor(private readonly client: () => DynamoDBDocumentClient = documentClient) {}

  private get table() {
    return getConfig().tables.correlations;
  }

  async create(correlation: Omit<Correlation, 'key' | 'state'>): Promise<Correlation> {
    const item: Correlation = { ...correlation, key: correlationKey(correlation.thingId, correlation.correlationId), state: 'pending' };
    const isNew = 'attribute_not_exists(#k)';
    const isFinished = '#state <> :pending';
    const isStale = 'expiresAt < :now';
    try {
      await this.client().send(
        new PutCommand({
          TableName: this.table,
          Item: { ...item, [TTL_ATTRIBUTE]: Math.ceil(item.expiresAt / 1000) + 300 },
          ConditionExpression: `${isNew} OR ${isFinished} OR ${isStale}`,
          ExpressionAttributeNames: { '#k': 'key', '#state': 'state' },
          ExpressionAttributeValues: { ':pending': 'pending', ':now': Date.now() },
        }),
      );
    } catch (e) {
      if (isConditionFailed(e)) throw new CorrelationTaken(item.key);
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
  async answer(key: string, response: StoredResponse, expect: { topic: string; path: string; responderConnectionId?: string }): Promise<Correlation | undefined> {
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

  /** Marks a still-pending correlation as timed out; undefined when it was answered (or gone) first. */
  async expire(key: string): Promise<Correlation | undefined> {
    return this.transition(key, 'timedOut');
  }

  private async transition(
    key: string,
    state: Correlation['state'],
    extraCondition?: string,
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
          ConditionExpression: `attribute_exists(#k) AND #state = :pending${extraCondition ? ` AND ${extraCondition}` : ''}`,
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

