/**
 * `npm run mutate [chunk ...] [-- stryker options]`: mutation testing of lambdas/ and lib/, chunk by chunk
 * (stryker.chunks.json lists them; default all). One DynamoDB Local serves every jest run of a chunk: tests isolate
 * themselves by unique ids, so a mutant costs its covering tests, not a JVM start. Scores per folder:
 * `npm run mutate:scores`.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { type LocalDynamo, startDynamoDbLocal } from '../local/dynamodb';
import CHUNKS from '../stryker.chunks.json';

type Chunk = keyof typeof CHUNKS;
const STRYKER = join(__dirname, '..', 'node_modules', '@stryker-mutator', 'core', 'bin', 'stryker.js');

let running: ChildProcess | undefined;
let dynamo: LocalDynamo | undefined;

/**
 * One chunk, with a DynamoDB Local of its own when its tests need one: a run that Stryker kills on a timeout
 * cannot clean up, and what it leaves (connections count against a global limit) must not reach the next chunk.
 */
async function runChunk(chunk: Chunk, strykerArgs: readonly string[]): Promise<number> {
  dynamo = CHUNKS[chunk].jest === 'jest.mutate.config.js' ? await startDynamoDbLocal() : undefined;
  try {
    // Stryker itself, not through npx, in a process group of its own: a stop must reach its checker and test runner
    // processes too (a SIGTERM to Stryker alone left a test runner running).
    const child = spawn(process.execPath, [STRYKER, 'run', 'stryker.config.mjs', ...strykerArgs], {
      stdio: 'inherit',
      detached: true,
      env: { ...process.env, STRYKER_CHUNK: chunk, ...(dynamo ? { SHARED_DYNAMODB_ENDPOINT: dynamo.endpoint } : {}) },
    });
    running = child;
    return await new Promise<number>((resolve) => {
      child.once('error', () => resolve(1));
      child.once('exit', (code) => resolve(code ?? 1));
    });
  } finally {
    running = undefined;
    await dynamo?.stop();
    dynamo = undefined;
  }
}

/** Ctrl-C, SIGTERM or SIGHUP: stop Stryker's process group first (it must not go on against a stopped database), then DynamoDB Local. */
async function interrupted(): Promise<never> {
  try {
    if (running?.pid !== undefined) process.kill(-running.pid, 'SIGTERM');
  } catch {
    // The group has already gone.
  }
  await dynamo?.stop();
  process.exit(130);
}

async function main(args: readonly string[]): Promise<number> {
  const split = args.indexOf('--');
  const names = split < 0 ? args : args.slice(0, split);
  const strykerArgs = split < 0 ? [] : args.slice(split + 1);
  const chunks = names.length > 0 ? names : Object.keys(CHUNKS);
  const unknown = chunks.filter((c) => !Object.hasOwn(CHUNKS, c));
  if (unknown.length > 0) throw new Error(`Unknown chunk(s) ${unknown.join(', ')}; one of: ${Object.keys(CHUNKS).join(', ')}`);
  // Stryker runs in a group of its own: every way this process is told to stop must stop it too (not SIGKILL, which
  // no process can handle; an orphaned Stryker would then go on against a stopped database).
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.once(signal, () => void interrupted());
  for (const chunk of chunks as Chunk[]) {
    console.log(`\n=== mutation testing: ${chunk} (${CHUNKS[chunk].mutate.join(' ')}) ===`);
    const code = await runChunk(chunk, strykerArgs);
    if (code !== 0) return code;
  }
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(e);
    process.exit(1);
  },
);
