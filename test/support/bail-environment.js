/**
 * Jest's node environment, plus: once a test fails while Stryker has a mutant active, every later test of that jest run
 * is skipped (their beforeAll hooks too). The mutant is killed by then, and the integration tests that cover it would
 * otherwise all run for nothing. Without an active mutant (the dry run, plain jest) it changes nothing.
 */
const { TestEnvironment } = require('jest-environment-node');

const ACTIVE_MUTANT = '__STRYKER_ACTIVE_MUTANT__';
/** The mutant some test already failed for; module state outlives the test files of one worker process. */
let killed;

function skipAll(block) {
  for (const child of block.children) {
    if (child.type === 'describeBlock') skipAll(child);
    else child.mode = 'skip';
  }
}

class BailEnvironment extends TestEnvironment {
  async handleTestEvent(event, state) {
    const mutant = process.env[ACTIVE_MUTANT];
    if (mutant === undefined) return;
    if (event.name === 'test_done' && event.test.errors.length > 0) killed = mutant;
    if (killed === mutant && (event.name === 'test_done' || event.name === 'run_start')) skipAll(state.rootDescribeBlock);
  }
}

module.exports = BailEnvironment;
