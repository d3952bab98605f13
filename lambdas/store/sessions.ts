/**
 * Session state: connections and the subscription index (one item per auth subject of a
 * subscribed connection, so routing queries the readers' subjects and never scans).
 */
import { BatchWriteCommand, DeleteCommand, GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { getConfig } from '../config';
import type { Subscription } from '../core/messages';
import { documentClient, isConditionFailed, nowSeconds } from './client';
import { TTL_ATTRIBUTE } from './schema';

export interface ConnectionRecord {
  readonly connectionId: string;
  readonly subjects: readonly string[];
  readonly connectedAt: number;
  /** Expiry (epoch seconds) of the latest token, when the connection was opened or refreshed with a JWT. */
  readonly tokenExpiresAt?: number;
  readonly subscription?: { readonly namespaces?: readonly string[]; readonly filter?: string };
}

const ttl = () => nowSeconds() + getConfig().connectionTtlSeconds;

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

export class SessionsRepository {
  /** `tables` overrides the configured table names (the benchmark routes over its own tables). */
  constructor(
    private readonly client: () => DynamoDBDocumentClient = documentClient,
    private readonly tableNames: Partial<Record<'connections' | 'subscriptions', string>> = {},
  ) {}

  private get tables() {
    return { ...getConfig().tables, ...this.tableNames };
  }

  async putConnection(connection: ConnectionRecord): Promise<void> {
    await this.client().send(new PutCommand({ TableName: this.tables.connections, Item: { ...connection, [TTL_ATTRIBUTE]: ttl() } }));
  }

  async getConnection(connectionId: string): Promise<ConnectionRecord | undefined> {
    const out = await this.client().send(new GetCommand({ TableName: this.tables.connections, Key: { connectionId }, ConsistentRead: true }));
    return out.Item as ConnectionRecord | undefined;
  }

  async setTokenExpiry(connectionId: string, tokenExpiresAt: number): Promise<void> {
    await this.client().send(
      new UpdateCommand({
        TableName: this.tables.connections,
        Key: { connectionId },
        UpdateExpression: 'SET tokenExpiresAt = :e',
        ConditionExpression: 'attribute_exists(connectionId)',
        ExpressionAttributeValues: { ':e': tokenExpiresAt },
      }),
    );
  }

  /** Stores the subscription on the connection and one index item per subject (a second START replaces). */
  async subscribe(subscription: Subscription): Promise<void> {
    const { connectionId, subjects, namespaces, filter } = subscription;
    const options = { ...(namespaces ? { namespaces } : {}), ...(filter !== undefined ? { filter } : {}) };
    const expires = ttl();
    await Promise.all([
      this.client().send(
        new UpdateCommand({
          TableName: this.tables.connections,
          Key: { connectionId },
          UpdateExpression: 'SET subscription = :s',
          ExpressionAttributeValues: { ':s': options },
        }),
      ),
      ...chunks(subjects, 25).map((batch) =>
        this.batchWrite(
          batch.map((subject) => ({
            PutRequest: { Item: { subject, connectionId, subjects, ...options, [TTL_ATTRIBUTE]: expires } },
          })),
        ),
      ),
    ]);
  }

  async unsubscribe(connectionId: string, subjects: readonly string[]): Promise<void> {
    await Promise.all([
      this.client().send(
        new UpdateCommand({
          TableName: this.tables.connections,
          Key: { connectionId },
          UpdateExpression: 'REMOVE subscription',
          ConditionExpression: 'attribute_exists(connectionId)',
        }),
      ).catch((e: unknown) => {
        if (!isConditionFailed(e)) throw e; // the connection is already gone: nothing to unset
      }),
      this.deleteIndexItems(connectionId, subjects),
    ]);
  }

  /** Removes the connection and all its index items (on $disconnect and on 410 Gone). */
  async removeConnection(connectionId: string, subjects: readonly string[]): Promise<void> {
    await Promise.all([
      this.client().send(new DeleteCommand({ TableName: this.tables.connections, Key: { connectionId } })),
      this.deleteIndexItems(connectionId, subjects),
    ]);
  }

  /** Candidate recipients: one query per reader subject, in parallel (a single round trip of latency). */
  async subscriptionsFor(subjects: Iterable<string>): Promise<Subscription[]> {
    const now = nowSeconds();
    const pages = await Promise.all([...subjects].map((subject) => this.querySubject(subject)));
    return pages.flat().filter((item) => (item[TTL_ATTRIBUTE] as number) > now) as unknown as Subscription[];
  }

  private async querySubject(subject: string): Promise<Record<string, unknown>[]> {
    const items: Record<string, unknown>[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const out = await this.client().send(
        new QueryCommand({
          TableName: this.tables.subscriptions,
          KeyConditionExpression: 'subject = :s',
          ExpressionAttributeValues: { ':s': subject },
          ...(start ? { ExclusiveStartKey: start } : {}),
        }),
      );
      items.push(...(out.Items ?? []));
      start = out.LastEvaluatedKey;
    } while (start);
    return items;
  }

  private async deleteIndexItems(connectionId: string, subjects: readonly string[]): Promise<void> {
    await Promise.all(
      chunks(subjects, 25).map((batch) => this.batchWrite(batch.map((subject) => ({ DeleteRequest: { Key: { subject, connectionId } } })))),
    );
  }

  private async batchWrite(requests: Record<string, unknown>[]): Promise<void> {
    let pending: Record<string, unknown>[] | undefined = requests;
    for (let attempt = 0; pending && pending.length > 0 && attempt < 5; attempt++) {
      if (attempt > 0) await new Promise((r) => setTimeout(r, 20 * 2 ** attempt));
      const out = await this.client().send(new BatchWriteCommand({ RequestItems: { [this.tables.subscriptions]: pending } }));
      pending = out.UnprocessedItems?.[this.tables.subscriptions] as Record<string, unknown>[] | undefined;
    }
    if (pending && pending.length > 0) throw new Error(`${pending.length} subscription index writes stayed unprocessed.`);
  }
}
