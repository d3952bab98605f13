/**
 * The one source of truth for table schemas: the CDK stack and the local runtime both build
 * their tables from this module.
 */
export interface KeyAttribute {
  readonly name: string;
  readonly type: 'S' | 'N';
}

export interface IndexSchema {
  readonly partitionKey: KeyAttribute;
  readonly sortKey?: KeyAttribute;
  /** Non-key attributes copied into the index (INCLUDE projection). */
  readonly include: readonly string[];
}

export interface TableSchema {
  /** Environment variable that carries the table name to the Lambdas. */
  readonly envName: string;
  readonly partitionKey: KeyAttribute;
  readonly sortKey?: KeyAttribute;
  /** TTL attribute (epoch seconds) for session state. */
  readonly ttlAttribute?: string;
  /** Point-in-time recovery for durable data. */
  readonly pointInTimeRecovery: boolean;
  /** Global secondary indexes by name. */
  readonly indexes?: Readonly<Record<string, IndexSchema>>;
}

export const TTL_ATTRIBUTE = 'ttl';
/** Connections by the minute their token expires (sparse: only JWT connections), for the expiry sweep. */
export const TOKEN_EXPIRY_INDEX = 'byTokenExpiryMinute';

export const TABLES = {
  connections: {
    envName: 'CONNECTIONS_TABLE',
    partitionKey: { name: 'connectionId', type: 'S' },
    ttlAttribute: TTL_ATTRIBUTE,
    pointInTimeRecovery: false,
    indexes: {
      [TOKEN_EXPIRY_INDEX]: {
        partitionKey: { name: 'tokenExpiryMinute', type: 'N' },
        sortKey: { name: 'connectionId', type: 'S' },
        include: ['subjects', 'tokenExpiresAt'],
      },
    },
  },
  subscriptions: {
    envName: 'SUBSCRIPTIONS_TABLE',
    partitionKey: { name: 'subject', type: 'S' },
    sortKey: { name: 'connectionId', type: 'S' },
    ttlAttribute: TTL_ATTRIBUTE,
    pointInTimeRecovery: false,
  },
  things: {
    envName: 'THINGS_TABLE',
    partitionKey: { name: 'thingId', type: 'S' },
    pointInTimeRecovery: true,
  },
  policies: {
    envName: 'POLICIES_TABLE',
    partitionKey: { name: 'policyId', type: 'S' },
    pointInTimeRecovery: true,
  },
  /** Connection targets (Ditto's http-push connections): one partition, so listing them is a Query. */
  targets: {
    envName: 'TARGETS_TABLE',
    partitionKey: { name: 'scope', type: 'S' },
    sortKey: { name: 'id', type: 'S' },
    pointInTimeRecovery: true,
  },
  correlations: {
    envName: 'CORRELATIONS_TABLE',
    partitionKey: { name: 'key', type: 'S' },
    ttlAttribute: TTL_ATTRIBUTE,
    pointInTimeRecovery: false,
  },
} as const satisfies Record<string, TableSchema>;

export type TableKey = keyof typeof TABLES;
export const TABLE_KEYS = Object.keys(TABLES) as TableKey[];
