// @ts-check
/**
 * Mutation testing, one chunk per run (STRYKER_CHUNK, one of stryker.chunks.json; scripts/mutate.ts runs them in turn). Each chunk keeps its own
 * reports and incremental results under reports/mutation/<chunk>/, so that a chunk that finished keeps its results
 * when a later one is stopped. lambdas/core runs against the unit tests only (milliseconds per mutant); the rest of
 * lambdas/ and lib/ against the whole suite, with DynamoDB Local started once by scripts/mutate.ts.
 */
import { readFileSync } from 'node:fs';

/** @type {Record<string, { mutate: string[]; jest: string; tsconfig: string; ignoreStatic?: boolean; maxTestRunnerReuse?: number }>} */
const CHUNKS = JSON.parse(readFileSync(new URL('./stryker.chunks.json', import.meta.url), 'utf8'));

const name = process.env.STRYKER_CHUNK ?? 'core';
const chunk = CHUNKS[name];
if (!chunk) throw new Error(`Unknown STRYKER_CHUNK '${name}'; one of: ${Object.keys(CHUNKS).join(', ')}`);
const dir = `reports/mutation/${name}`;
const unitOnly = chunk.jest === 'jest.unit.config.js';

export default {
  packageManager: 'npm',
  testRunner: 'jest',
  // Related tests are found by coverage (perTest); jest's import graph cannot see handlers the local gateway loads.
  jest: { projectType: 'custom', configFile: chunk.jest, enableFindRelatedTests: unitOnly },
  testRunnerNodeArgs: ['--experimental-vm-modules'],
  coverageAnalysis: 'perTest',
  mutate: chunk.mutate,
  // The stack is synthesized in beforeAll hooks, outside any test: for lib/ such "static" mutants run every CDK test.
  ignoreStatic: chunk.ignoreStatic ?? true,
  // lib/: every static mutant synthesizes the stacks anew, and the runner's memory grows by ~60 MB per run: a fresh one
  // every so many mutants.
  maxTestRunnerReuse: chunk.maxTestRunnerReuse ?? 0,
  // Two cores: one type-checker process and one jest runner (Stryker splits the count between them).
  concurrency: 2,
  timeoutMS: unitOnly ? 20000 : 30000,
  reporters: ['clear-text', 'progress', 'html', 'json'],
  htmlReporter: { fileName: `${dir}/index.html` },
  jsonReporter: { fileName: `${dir}/mutation.json` },
  tempDirName: `.stryker-tmp/${name}`,
  // Not copied into the sandbox: other chunks' sandboxes (a stopped run leaves its own), synthesized templates.
  ignorePatterns: ['/.stryker-tmp', '/cdk.out', '/coverage'],
  cleanTempDir: 'always',
  // Mutants that do not compile are not run (the transform strips types, so they would run and "survive" otherwise).
  checkers: ['typescript'],
  tsconfigFile: chunk.tsconfig,
  typescriptChecker: { prioritizePerformanceOverAccuracy: true },
  incremental: true,
  incrementalFile: `${dir}/incremental.json`,
};
