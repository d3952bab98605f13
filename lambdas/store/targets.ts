/**
 * Connection targets (Ditto's connections): one partition holds them all, so the list every
 * router container caches is one Query, never a Scan. The document is stored as JSON text, exactly
 * as validated; writes are conditional on the revision read before.
 */
import { DeleteCommand, GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { getConfig } from '../config';
import type { ConnectionDocument } from '../core/targets/connection';
import { documentClient, isConditionFailed } from './client';
import { RevisionConflictError } from './entities';
import { TABLES } from './schema';

/** The partition of http-push connections. */
const SCOPE = 'http-push';
const PK = TABLES.targets.partitionKey.name;
const SK = TABLES.targets.sortKey.name;

export interface StoredConnection {
  readonly id: string;
  readonly document: ConnectionDocument;
  readonly revision: number;
}

interface Item {
  readonly id: string;
  readonly document: string;
  readonly revision: number;
}

const fromItem = (item: Item): StoredConnection => ({ id: item.id, document: JSON.parse(item.document) as ConnectionDocument, revision: item.revision });

export class TargetsRepository {
  constructor(private readonly client: () => DynamoDBDocumentClient = documentClient) {}

  private get table(): string {
    return getConfig().tables.targets;
  }

  async get(id: string): Promise<StoredConnection | undefined> {
    const out = await this.client().send(new GetCommand({ TableName: this.table, Key: { [PK]: SCOPE, [SK]: id }, ConsistentRead: true }));
    return out.Item ? fromItem(out.Item as Item) : undefined;
  }

  async list(consistent = false): Promise<StoredConnection[]> {
    const all: StoredConnection[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const out = await this.client().send(
        new QueryCommand({
          TableName: this.table,
          KeyConditionExpression: '#pk = :scope',
          ExpressionAttributeNames: { '#pk': PK },
          ExpressionAttributeValues: { ':scope': SCOPE },
          ConsistentRead: consistent,
          ...(start ? { ExclusiveStartKey: start } : {}),
        }),
      );
      all.push(...((out.Items ?? []) as Item[]).map(fromItem));
      start = out.LastEvaluatedKey;
    } while (start);
    return all;
  }

  /** Writes revision `expected + 1`; `expected` undefined means "must not exist yet". */
  async put(id: string, document: ConnectionDocument, expected: number | undefined): Promise<StoredConnection> {
    const revision = (expected ?? 0) + 1;
    try {
      await this.client().send(
        new PutCommand({
          TableName: this.table,
          Item: { [PK]: SCOPE, [SK]: id, document: JSON.stringify(document), revision },
          ConditionExpression: expected === undefined ? 'attribute_not_exists(#sk)' : '#r = :expected',
          ExpressionAttributeNames: expected === undefined ? { '#sk': SK } : { '#r': 'revision' },
          ...(expected === undefined ? {} : { ExpressionAttributeValues: { ':expected': expected } }),
        }),
      );
    } catch (e) {
      if (isConditionFailed(e)) throw new RevisionConflictError(id);
      throw e;
    }
    return { id, document, revision };
  }

  /** False when there was nothing to delete. */
  async delete(id: string): Promise<boolean> {
    const out = await this.client().send(new DeleteCommand({ TableName: this.table, Key: { [PK]: SCOPE, [SK]: id }, ReturnValues: 'ALL_OLD' }));
    return out.Attributes !== undefined;
  }
}
