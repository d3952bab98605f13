/**
 * A node_modules folder holding only the AWS SDK v3 packages the Lambda runtime provides (and their
 * own dependencies), as symlinks into ours: a bundle that needs anything else fails to load here as
 * it would on Lambda.
 */
import { existsSync, mkdirSync, readFileSync, realpathSync, symlinkSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { tempDir } from '../support/cdk-apps';

const ROOTS = ['@aws-sdk/client-dynamodb', '@aws-sdk/lib-dynamodb', '@aws-sdk/client-apigatewaymanagementapi', '@aws-sdk/client-sqs'];

/** Node's lookup (node_modules folders up from `from`), without `exports` getting in the way. */
function packageDir(name: string, from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', name);
    if (existsSync(join(candidate, 'package.json'))) return realpathSync(candidate);
    if (dirname(dir) === dir) throw new Error(`${name} not found from ${from}`);
  }
}

export function sdkOnlyModules(): string {
  const root = tempDir();
  const modules = join(root, 'node_modules');
  const seen = new Set<string>();
  const visit = (name: string, from: string) => {
    if (seen.has(name)) return;
    seen.add(name);
    const dir = packageDir(name, from);
    mkdirSync(dirname(join(modules, name)), { recursive: true });
    symlinkSync(dir, join(modules, name), 'dir');
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { dependencies?: Record<string, string> };
    for (const dep of Object.keys(pkg.dependencies ?? {})) visit(dep, dir);
  };
  for (const name of ROOTS) visit(name, join(__dirname, '..', '..'));
  return modules;
}
