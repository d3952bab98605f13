/**
 * `npm run mutate:scores`: the mutation score per folder from the chunks' JSON reports (reports/mutation/<chunk>/),
 * as a Markdown table. Score = detected (killed + timed out) / valid (detected + survived + no coverage), Stryker's own
 * definition; mutants that do not compile, error at run time or are disabled are not valid.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, matchesGlob } from 'node:path';
import CHUNKS from '../stryker.chunks.json';

interface Tally {
  detected: number;
  survived: number;
  noCoverage: number;
}

const REPORTS = join(__dirname, '..', 'reports', 'mutation');

function tallyOf(statuses: readonly string[]): Tally {
  const count = (...s: string[]) => statuses.filter((x) => s.includes(x)).length;
  return { detected: count('Killed', 'Timeout'), survived: count('Survived'), noCoverage: count('NoCoverage') };
}

const add = (a: Tally, b: Tally): Tally => ({ detected: a.detected + b.detected, survived: a.survived + b.survived, noCoverage: a.noCoverage + b.noCoverage });
const score = (t: Tally) => {
  const valid = t.detected + t.survived + t.noCoverage;
  return valid === 0 ? '—' : `${((100 * t.detected) / valid).toFixed(1)}%`;
};
/** lambdas/core by subfolder, everything else by its top folder under lambdas/ (or lib/); files at the top as `lambdas/*.ts`. */
function folderOf(file: string): string {
  const parts = dirname(file).split('/');
  if (parts.length === 1) return `${parts[0]}/*.ts`;
  return parts[1] === 'core' ? parts.slice(0, 3).join('/') : parts.slice(0, 2).join('/');
}

const reportOf = (chunk: string) => join(REPORTS, chunk, 'mutation.json');
// Oldest first: a file measured by two chunks (it moved to another chunk) counts as last measured.
const chunks = existsSync(REPORTS)
  ? readdirSync(REPORTS)
      .filter((c) => existsSync(reportOf(c)))
      .sort((a, b) => statSync(reportOf(a)).mtimeMs - statSync(reportOf(b)).mtimeMs)
  : [];
/**
 * Whether a report measured this file: its chunk's `mutate` patterns name it (reports/mutation/lib-<file>/ hold runs of
 * the lib chunk narrowed to one file). A report also carries the earlier results of files outside the run (Stryker's
 * incremental file keeps them), which must not replace a newer measurement by another chunk.
 */
function measures(dir: string, file: string): boolean {
  const chunk = dir.startsWith('lib-') ? 'lib' : dir;
  const patterns = (CHUNKS as Record<string, { mutate: string[] }>)[chunk]?.mutate ?? ['**'];
  const included = patterns.filter((p) => !p.startsWith('!')).some((p) => matchesGlob(file, p));
  return included && !patterns.filter((p) => p.startsWith('!')).some((p) => matchesGlob(file, p.slice(1)));
}

const byFile = new Map<string, Tally>();
for (const chunk of chunks) {
  const report = JSON.parse(readFileSync(reportOf(chunk), 'utf8')) as { files: Record<string, { mutants: { status: string }[] }> };
  for (const [file, { mutants }] of Object.entries(report.files)) if (measures(chunk, file)) byFile.set(file, tallyOf(mutants.map((m) => m.status)));
}
const byFolder = new Map<string, Tally>();
for (const [file, t] of byFile) byFolder.set(folderOf(file), add(byFolder.get(folderOf(file)) ?? tallyOf([]), t));
if (byFolder.size === 0) {
  console.error('No reports under reports/mutation/: run `npm run mutate` first.');
  process.exit(1);
}
const total = (prefix: string) => [...byFolder].filter(([f]) => f.startsWith(prefix)).reduce((t, [, v]) => add(t, v), tallyOf([]));
console.log(`Chunks reported: ${chunks.join(', ')}\n`);
console.log('| folder | killed | survived | no coverage | score |\n|---|---:|---:|---:|---:|');
for (const [folder, t] of [...byFolder].sort(([a], [b]) => a.localeCompare(b)))
  console.log(`| ${folder} | ${t.detected} | ${t.survived} | ${t.noCoverage} | ${score(t)} |`);
for (const [label, t] of [
  ['**lambdas/core**', total('lambdas/core')],
  ['**lambdas/ and lib/ (reported chunks)**', add(total('lambdas'), total('lib'))],
] as const) {
  console.log(`| ${label} | ${t.detected} | ${t.survived} | ${t.noCoverage} | ${score(t)} |`);
}
