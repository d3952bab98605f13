/**
 * Which test files hold the tests that cover each mutant, recorded during Stryker's dry run, so that a mutant's jest run
 * loads only those files. Stryker narrows a mutant's run by test name only: every other file would still be loaded (its
 * imports, a local gateway) to then run nothing, which is most of a mutant's cost in this suite.
 *
 * `recordFile` is called by the test environment at the end of each file of the dry run; the module itself is jest's
 * `filter`: with an active mutant it keeps the files recorded as covering it (all files when there is no record). Plain
 * jest is unaffected. Only for chunks with `ignoreStatic`: Stryker then runs a mutant also covered outside any test (a
 * beforeAll, a module's load) with its covering tests only, as here; without it, such mutants would need every file.
 */
const { existsSync, readFileSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');

const ACTIVE_MUTANT = '__STRYKER_ACTIVE_MUTANT__';
/** In the sandbox Stryker runs jest in, so that a test runner Stryker restarts after a timeout still finds it. */
const RECORD = join(process.cwd(), '.stryker-tmp-test-files.json');

/** @type {{ files: Record<string, string[]> } | undefined} */
let record;

/**
 * @param {string} testPath
 * @param {string[]} testIds full names of the file's tests, as Stryker's coverage keys them
 * @param {{ perTest?: Record<string, Record<string, number>> }} coverage Stryker's coverage so far
 */
function recordFile(testPath, testIds, coverage) {
  record ??= { files: {} };
  const covered = new Set(testIds.flatMap((id) => Object.keys(coverage.perTest?.[id] ?? {})));
  record.files[testPath] = [...covered];
  writeFileSync(RECORD, JSON.stringify(record));
}

/** @param {string[]} testPaths */
async function filter(testPaths) {
  const mutant = process.env[ACTIVE_MUTANT];
  if (mutant === undefined) return { filtered: testPaths };
  record ??= existsSync(RECORD) ? JSON.parse(readFileSync(RECORD, 'utf8')) : undefined;
  if (!record) return { filtered: testPaths };
  const files = record.files;
  const covering = testPaths.filter((p) => !Object.hasOwn(files, p) || files[p].includes(mutant));
  // None recorded (coverage analysis other than perTest, or a static mutant): all, never a run without tests, which
  // Stryker would count as a survivor.
  return { filtered: covering.length > 0 ? covering : testPaths };
}

module.exports = filter;
module.exports.recordFile = recordFile;
module.exports.ACTIVE_MUTANT = ACTIVE_MUTANT;
