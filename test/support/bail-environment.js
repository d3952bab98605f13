/**
 * Jest's node environment, plus two things for mutation testing that change nothing without Stryker:
 * - once a test fails while Stryker has a mutant active, every later test of that jest run is skipped (their beforeAll
 *   hooks too). The mutant is killed by then, and the integration tests that cover it would otherwise all run for nothing;
 * - in Stryker's dry run, each file's coverage is recorded (mutant-test-files.js) so that a mutant's run loads only the
 *   files that cover it.
 */
const { TestEnvironment } = require('jest-environment-node');
const { ACTIVE_MUTANT, recordFile } = require('./mutant-test-files');

/** The mutant some test already failed for; module state outlives the test files of one worker process. */
let killed;

/** A test's id as Stryker's coverage keys it (as its jest environment mixin computes it, from the event, not a shared id). */
const blockName = (block) => (block.parent ? `${blockName(block.parent)} ${block.name}`.trimStart() : '');
const fullName = (test) => `${blockName(test.parent)} ${test.name}`.trimStart();

function skipAll(block) {
  for (const child of block.children) {
    if (child.type === 'describeBlock') skipAll(child);
    else child.mode = 'skip';
  }
}

class BailEnvironment extends TestEnvironment {
  #testPath;
  /** Stryker's ids of this file's tests (their full names), collected in the dry run. */
  #testIds = [];

  constructor(config, context) {
    super(config, context);
    this.#testPath = context.testPath;
  }

  async handleTestEvent(event, state) {
    const mutant = process.env[ACTIVE_MUTANT];
    if (mutant === undefined) {
      if (event.name === 'test_done' && this.global.__stryker__) this.#testIds.push(fullName(event.test));
      return;
    }
    if (event.name === 'test_done' && event.test.errors.length > 0) killed = mutant;
    if (killed === mutant && (event.name === 'test_done' || event.name === 'run_start')) skipAll(state.rootDescribeBlock);
  }

  async teardown() {
    // Under Stryker only; no coverage object yet means no instrumented code ran so far: the file covers no mutant.
    const stryker = this.global.__stryker__;
    if (process.env[ACTIVE_MUTANT] === undefined && stryker) recordFile(this.#testPath, this.#testIds, stryker.mutantCoverage ?? {});
    await super.teardown();
  }
}

module.exports = BailEnvironment;
