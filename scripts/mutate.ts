/**
 * `npm run mutate [chunk ...] [-- stryker options]`: mutation testing of lambdas/ and lib/, chunk by chunk
 * (stryker.chunks.json lists them; default all). One DynamoDB Local serves every jest run of every chunk: tests
 * isolate themselves by unique ids, so a mutant costs its covering tests, not a JVM start. Scores per folder:
 * `npm run mutate:scores`.
 */
import { spawn } from 'node:child_process';
import { type LocalDynamo, startDynamoDbLocal } from '../local/dynamodb';
import CHUNKS from '../stryker.chunks.json';

function runChunk(chunk: string, strykerArgs: readonly string[], endpoint: string | undefined): Promise<number> {
  const child = spawn('npx', ['stryker', 'run', 'stryker.config.mjs', ...strykerArgs], {
    stdio: 'inherit',
    env: { ...process.env, STRYKER_CHUNK: chunk, ...(endpoint ? { TEST_DYNAMODB_ENDPOINT: endpoint } : {}) },
  });
  return new Promise((resolve) => child.once('exit', (code) => resolve(code ?? 1)));
}

async function main(args: readonly string[]): Promise<number> {
  const split = args.indexOf('--');
  const names = split < 0 ? args : args.slice(0, split);
  const strykerArgs = split < 0 ? [] : args.slice(split + 1);
  const chunks = names.length > 0 ? names : Object.keys(CHUNKS);
  const unknown = chunks.filter((c) => !Object.hasOwn(CHUNKS, c));
  if (unknown.length > 0) throw new Error(`Unknown chunk(s) ${unknown.join(', ')}; one of: ${Object.keys(CHUNKS).join(', ')}`);
  const needsDynamo = chunks.some((c) => CHUNKS[c as keyof typeof CHUNKS].jest === 'jest.mutate.config.js');
  const dynamo: LocalDynamo | undefined = needsDynamo ? await startDynamoDbLocal() : undefined;
  const stop = () => void dynamo?.stop().finally(() => process.exit(130));
  process.once('SIGINT', stop).once('SIGTERM', stop);
  try {
    for (const chunk of chunks) {
      console.log(`\n=== mutation testing: ${chunk} (${CHUNKS[chunk as keyof typeof CHUNKS].mutate.join(' ')}) ===`);
      const code = await runChunk(chunk, strykerArgs, dynamo?.endpoint);
      if (code !== 0) return code;
    }
    return 0;
  } finally {
    await dynamo?.stop();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(e);
    process.exit(1);
  },
);
