import { RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';
import { TABLES, type TableKey, type TableSchema } from '../lambdas/store/schema';

export interface MessagingTablesProps {
  /**
   * Keep durable tables (things, policies) when the stack is deleted.
   * @default true
   */
  readonly retainData?: boolean;
}

/** All DynamoDB tables, built from `lambdas/store/schema.ts` (the schema the local runtime uses too). */
export class MessagingTables extends Construct {
  public readonly tables: Readonly<Record<TableKey, dynamodb.Table>>;

  constructor(scope: Construct, id: string, props: MessagingTablesProps = {}) {
    super(scope, id);
    const retain = props.retainData ?? true;
    const entries = (Object.keys(TABLES) as TableKey[]).map((key) => {
      const schema: TableSchema = TABLES[key];
      const table = new dynamodb.Table(this, pascal(key), {
        partitionKey: { name: schema.partitionKey.name, type: attributeType(schema.partitionKey.type) },
        ...(schema.sortKey ? { sortKey: { name: schema.sortKey.name, type: attributeType(schema.sortKey.type) } } : {}),
        billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
        ...(schema.ttlAttribute ? { timeToLiveAttribute: schema.ttlAttribute } : {}),
        pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: schema.pointInTimeRecovery },
        encryption: dynamodb.TableEncryption.AWS_MANAGED,
        removalPolicy: schema.pointInTimeRecovery && retain ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
      });
      for (const [indexName, index] of Object.entries(schema.indexes ?? {})) {
        table.addGlobalSecondaryIndex({
          indexName,
          partitionKey: { name: index.partitionKey.name, type: attributeType(index.partitionKey.type) },
          ...(index.sortKey ? { sortKey: { name: index.sortKey.name, type: attributeType(index.sortKey.type) } } : {}),
          projectionType: dynamodb.ProjectionType.INCLUDE,
          nonKeyAttributes: [...index.include],
        });
      }
      if (!schema.pointInTimeRecovery) {
        Validations.of(table).acknowledge({
          id: 'AwsSolutions-DDB3',
          reason: 'Session state only (connections, subscriptions, pending correlations) that expires by TTL within hours; nothing to recover.',
        });
      }
      return [key, table] as const;
    });
    this.tables = Object.fromEntries(entries) as Record<TableKey, dynamodb.Table>;
  }
}

const attributeType = (t: 'S' | 'N') => (t === 'S' ? dynamodb.AttributeType.STRING : dynamodb.AttributeType.NUMBER);
const pascal = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);
