/**
 * Things and policies repositories: versioned items, written with a condition on the revision
 * read before (optimistic concurrency: of two concurrent replaces one wins, the other gets 412).
 */
import { DeleteCommand, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { getConfig } from '../config';
import type { Policy } from '../core/policy';
import { documentClient, isConditionFailed } from './client';
import { TABLES } from './schema';

export interface ThingRecord {
  readonly thingId: string;
  readonly policyId: string;
  readonly attributes?: Record<string, unknown>;
  readonly features?: Record<string, unknown>;
  readonly revision: number;
}

export interface PolicyRecord extends Policy {
  readonly revision: number;
}

/** Raised by a conditional write whose precondition (revision) no longer holds. */
export class RevisionConflictError extends Error {
  constructor(readonly id: string) {
    super(`Revision conflict on '${id}'.`);
    this.name = 'RevisionConflictError';
  }
}

class VersionedRepository<T extends { readonly revision: number }> {
  constructor(
    private readonly table: () => string,
    private readonly key: string,
    private readonly client: () => DynamoDBDocumentClient,
  ) {}

  async get(id: string, consistent = false): Promise<T | undefined> {
    const out = await this.client().send(new GetCommand({ TableName: this.table(), Key: { [this.key]: id }, ConsistentRead: consistent }));
    return out.Item as T | undefined;
  }

  /** Writes revision `expected + 1`; `expected` undefined means "must not exist yet". */
  async put(id: string, body: Omit<T, 'revision'>, expected: number | undefined): Promise<T> {
    const revision = (expected ?? 0) + 1;
    const item = { ...body, [this.key]: id, revision } as unknown as T;
    const itemIsNew = `attribute_not_exists(#k)`;
    const revisionUnchanged = `#r = :expected`;
    try {
      await this.client().send(
        new PutCommand({
          TableName: this.table(),
          Item: item as Record<string, unknown>,
          ConditionExpression: expected === undefined ? itemIsNew : revisionUnchanged,
          ExpressionAttributeNames: expected === undefined ? { '#k': this.key } : { '#r': 'revision' },
          ...(expected === undefined ? {} : { ExpressionAttributeValues: { ':expected': expected } }),
        }),
      );
    } catch (e) {
      if (isConditionFailed(e)) throw new RevisionConflictError(id);
      throw e;
    }
    return item;
  }

  async delete(id: string, expected: number): Promise<void> {
    try {
      await this.client().send(
        new DeleteCommand({
          TableName: this.table(),
          Key: { [this.key]: id },
          ConditionExpression: '#r = :expected',
          ExpressionAttributeNames: { '#r': 'revision' },
          ExpressionAttributeValues: { ':expected': expected },
        }),
      );
    } catch (e) {
      if (isConditionFailed(e)) throw new RevisionConflictError(id);
      throw e;
    }
  }
}

export type ThingsRepository = VersionedRepository<ThingRecord>;
export type PoliciesRepository = VersionedRepository<PolicyRecord>;

export function thingsRepository(client: () => DynamoDBDocumentClient = documentClient): ThingsRepository {
  return new VersionedRepository<ThingRecord>(() => getConfig().tables.things, TABLES.things.partitionKey.name, client);
}

export function policiesRepository(client: () => DynamoDBDocumentClient = documentClient): PoliciesRepository {
  return new VersionedRepository<PolicyRecord>(() => getConfig().tables.policies, TABLES.policies.partitionKey.name, client);
}
