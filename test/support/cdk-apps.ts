/**
 * CDK apps for tests, synthesized into temporary directories (tempDir) that are removed after the test file. Without an outdir
 * CDK synthesizes into a new directory under the system temp dir and leaves it there: each holds a copy of the
 * console deployment's AWS CLI layer (~13 MB), and mutation testing of lib/ synthesizes thousands (it filled the disk).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, type AppProps } from 'aws-cdk-lib';

const outdirs: string[] = [];

/** A temporary directory removed after this test file. */
export function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'cdk-test-'));
  outdirs.push(dir);
  return dir;
}

export const testApp = (props: Omit<AppProps, 'outdir'> = {}): App => new App({ ...props, outdir: tempDir() });

afterAll(() => {
  for (const dir of outdirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});
