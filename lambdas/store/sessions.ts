/**
 * Session state: connections and the subscription index (one item per auth subject of a
 * subscribed connection, so routing queries the readers' subjects and never scans).
 */
import { BatchWriteCommand, DeleteCommand, GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { getConfig } from '../config';
import { chunks, inPool } from '../core/collections';
import type { Subscription } from '../core/messages';
import { documentClient, isConditionFailed, nowSeconds } from './client';
import { TOKEN_EXPIRY_INDEX, TTL_ATTRIBUTE } from './schema';

export interface ConnectionRecord {
  readonly connectionId: string;
  readonly subjects: readonly string[];
  readonly connectedAt: number;
  /** Expiry (epoch seconds) of the latest token, when the connection was opened or refreshed with a JWT. */
  readonly tokenExpiresAt?: number;
  readonly subscription?: { readonly namespaces?: readonly string[]; readonly filter?: string };
}

const ttl = () => nowSeconds() + getConfig().connectionTtlSeconds;
export const expiryMinute = (epochSeconds: number): number => Math.floor(epochSeconds / 60);

/** Index queries in flight per message: bounds what one policy's reader subjects can ask of DynamoDB at once. */
export const QUERY_CONCURRENCY = 16;

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
    const expiry = connection.tokenExpiresAt !== undefined ? { tokenExpiryMinute: expiryMinute(connection.tokenExpiresAt) } : {};
    await this.client().send(new PutCommand({ TableName: this.tables.connections, Item: { ...connection, ...expiry, [TTL_ATTRIBUTE]: ttl() } }));
  }

  async getConnection(connectionId: string): Promise<ConnectionRecord | undefined> {
    const out = await this.client().send(new GetCommand({ TableName: this.tables.connections, Key: { connectionId }, ConsistentRead: true }));
    return out.Item as ConnectionRecord | undefined;
  }

  /** A refreshed token (JWT-TOKEN): the connection and its index items carry the new expiry. */
  async setTokenExpiry(connectionId: string, tokenExpiresAt: number): Promise<void> {
    const out = await this.client().send(
      new UpdateCommand({
        TableName: this.tables.connections,
        Key: { connectionId },
        UpdateExpression: 'SET tokenExpiresAt = :e, tokenExpiryMinute = :m',
        ConditionExpression: 'attribute_exists(connectionId)',
        ExpressionAttributeValues: { ':e': tokenExpiresAt, ':m': expiryMinute(tokenExpiresAt) },
        ReturnValues: 'ALL_NEW',
      }),
    );
    const connection = out.Attributes as ConnectionRecord | undefined;
    if (!connection?.subscription) return;
    await Promise.all(
      connection.subjects.map((subject) =>
        this.client()
          .send(
            new UpdateCommand({
              TableName: this.tables.subscriptions,
              Key: { subject, connectionId },
              UpdateExpression: 'SET tokenExpiresAt = :e',
              ConditionExpression: 'attribute_exists(connectionId)',
              ExpressionAttributeValues: { ':e': tokenExpiresAt },
            }),
          )
          .catch((e: unknown) => {
            if (!isConditionFailed(e)) throw e; // unsubscribed meanwhile
          }),
      ),
    );
  }

  /**
   * Stores the subscription on the connection and one index item per subject (a second START
   * replaces). Index items carry the token expiry, so fan-out skips expired connections without a read.
   */
  async subscribe(subscription: Omit<Subscription, 'tokenExpiresAt'>): Promise<void> {
    const { connectionId, subjects, namespaces, filter } = subscription;
    // Absent options stay absent: the document client leaves undefined values out (removeUndefinedValues).
    const options = { namespaces, filter };
    const expires = ttl();
    const out = await this.client().send(
      new UpdateCommand({
        TableName: this.tables.connections,
        Key: { connectionId },
        UpdateExpression: 'SET subscription = :s',
        ConditionExpression: 'attribute_exists(connectionId)',
        ExpressionAttributeValues: { ':s': options },
        ReturnValues: 'ALL_NEW',
      }),
    );
    const write = (tokenExpiresAt: number | undefined) =>
      Promise.all(
        chunks(subjects, 25).map((batch) =>
          this.batchWrite(
            batch.map((subject) => ({
              PutRequest: {
                Item: { subject, connectionId, subjects, ...options, tokenExpiresAt, [TTL_ATTRIBUTE]: expires },
              },
            })),
          ),
        ),
      );
    const seen = (out.Attributes as ConnectionRecord | undefined)?.tokenExpiresAt;
    await write(seen);
    // A JWT-TOKEN refresh racing this START may have updated the connection before our index items
    // existed: then they carry the old expiry and fan-out would close a refreshed connection.
    const now = (await this.getConnection(connectionId))?.tokenExpiresAt;
    if (now !== seen) await write(now);
  }

  /** Connections whose token expired in the given minutes (the sweep's view; eventually consistent). */
  async connectionsExpiringIn(minutes: readonly number[]): Promise<Pick<ConnectionRecord, 'connectionId' | 'subjects' | 'tokenExpiresAt'>[]> {
    const pages = await Promise.all(
      minutes.map((minute) =>
        this.queryAll({
          TableName: this.tables.connections,
          IndexName: TOKEN_EXPIRY_INDEX,
          KeyConditionExpression: 'tokenExpiryMinute = :m',
          ExpressionAttributeValues: { ':m': minute },
        }),
      ),
    );
    return pages.flat() as unknown as Pick<ConnectionRecord, 'connectionId' | 'subjects' | 'tokenExpiresAt'>[];
  }

  async unsubscribe(connectionId: string, subjects: readonly string[]): Promise<void> {
    await Promise.all([
      this.client()
        .send(
          new UpdateCommand({
            TableName: this.tables.connections,
            Key: { connectionId },
            UpdateExpression: 'REMOVE subscription',
            ConditionExpression: 'attribute_exists(connectionId)',
          }),
        )
        .catch((e: unknown) => {
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

  /**
   * Candidate recipients: one query per reader subject, at most QUERY_CONCURRENCY in flight, so a
   * policy with many subjects slows its own messages, not the database for everyone.
   */
  async subscriptionsFor(subjects: Iterable<string>): Promise<Subscription[]> {
    const now = nowSeconds();
    const pages: Record<string, unknown>[][] = [];
    await inPool([...subjects], QUERY_CONCURRENCY, async (subject) => {
      pages.push(
        await this.queryAll({ TableName: this.tables.subscriptions, KeyConditionExpression: 'subject = :s', ExpressionAttributeValues: { ':s': subject } }),
      );
    });
    return pages.flat().filter((item) => (item[TTL_ATTRIBUTE] as number) > now) as unknown as Subscription[];
  }

  private async queryAll(input: ConstructorParameters<typeof QueryCommand>[0]): Promise<Record<string, unknown>[]> {
    const items: Record<string, unknown>[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const out = await this.client().send(new QueryCommand({ ...input, ...(start ? { ExclusiveStartKey: start } : {}) }));
      items.push(...(out.Items ?? []));
      start = out.LastEvaluatedKey;
    } while (start);
    return items;
  }

  private async deleteIndexItems(connectionId: string, subjects: readonly string[]): Promise<void> {
    await Promise.all(chunks(subjects, 25).map((batch) => this.batchWrite(batch.map((subject) => ({ DeleteRequest: { Key: { subject, connectionId } } })))));
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
