/** `npm start`: DynamoDB Local + the local gateway, real handlers. Ctrl-C stops both. */
import './env'; // first: before the handlers create their logger
import { TABLES, type TableKey } from '../lambdas/store/schema';
import { devToken } from './dev-auth';
import { createTables, type LocalDynamo, startDynamoDbLocal } from './dynamodb';
import { startGateway } from './gateway';

async function main(): Promise<void> {
  const port = Number(process.env.PORT ?? 8080);
  let dynamo: LocalDynamo | undefined;
  let endpoint = process.env.DYNAMODB_ENDPOINT || undefined;
  if (!endpoint) {
    dynamo = await startDynamoDbLocal(process.env.DYNAMODB_PATH ? { dbPath: process.env.DYNAMODB_PATH } : {});
    endpoint = dynamo.endpoint;
  }
  const names = Object.fromEntries((Object.keys(TABLES) as TableKey[]).map((k) => [k, process.env[TABLES[k].envName] ?? `ditto-${k}`])) as Record<
    TableKey,
    string
  >;
  await createTables(endpoint, names);
  const gateway = await startGateway({
    port,
    dynamodbEndpoint: endpoint,
    verbose: process.env.VERBOSE === '1',
    ...(process.env.DEV_BASIC_USERS ? { basicUsers: process.env.DEV_BASIC_USERS } : {}),
  });

  const token = await devToken('alice');
  console.log(`Ditto live-message router (local)
  Live console:    ${gateway.httpUrl}/?access_token=${token}
  HTTP API:        ${gateway.httpUrl}/api/2
  WebSocket:       ${gateway.wsUrl}
  DynamoDB Local:  ${endpoint}${dynamo ? ' (in memory)' : ' (external)'}
  Basic auth:      ditto/ditto -> subject nginx:ditto; devops/foobar manages connections
  Dev token for local:alice (npm run token -- <name> for others):
  ${token}
Ready. Ctrl-C to stop.`);

  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    console.log('Stopping…');
    // Never hang on the way out: whatever is left after 10 s is cut short (DynamoDB Local included).
    setTimeout(() => {
      void dynamo?.stop();
      process.exit(1);
    }, 10_000).unref();
    await gateway.stop();
    await dynamo?.stop();
    process.exit(0);
  };
  // Every way a user, a process manager, a container or CI ends it: Ctrl-C, SIGTERM, a closed
  // terminal (SIGHUP), and the death of the parent (npm killed outright) noticed by re-parenting.
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => void stop());
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid !== parent) void stop();
  }, 500).unref();
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
