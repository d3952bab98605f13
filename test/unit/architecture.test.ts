/**
 * Dependencies point one way: handlers → routing/twins/targets → gateway → store → runtime/observability →
 * config → core. A module may import its own layer or the ones below, never above; nothing in
 * lambdas/ imports the local runtime, the stack or tests.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const ROOT = resolve(__dirname, '..', '..');
const LAMBDAS = join(ROOT, 'lambdas');

/** Layer of a module under lambdas/ (higher may import lower). */
function layer(file: string): number {
  const rel = relative(LAMBDAS, file).replace(/\\/g, '/');
  if (rel.startsWith('core/') || rel === 'store/schema.ts' || rel === 'defaults.ts') return 0; // pure domain and the table schema (data)
  if (rel === 'config.ts') return 1;
  if (rel.startsWith('observability/') || rel.startsWith('runtime/')) return 2;
  if (rel.startsWith('store/')) return 3;
  if (rel.startsWith('gateway/') || rel.startsWith('auth/')) return 4;
  if (rel.startsWith('routing/') || rel.startsWith('twins/') || rel.startsWith('targets/')) return 5;
  if (rel.startsWith('handlers/')) return 6;
  throw new Error(`no layer for lambdas/${rel}: add it to the architecture test`);
}

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : path.endsWith('.ts') ? [path] : [];
  });
}

function relativeImports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/(?:from|import)\s+'(\.[^']+)'/g)]
    .map((m) => resolve(dirname(file), m[1]!))
    .map((p) => (p.endsWith('.ts') ? p : `${p}.ts`))
    .map((p) => {
      try {
        statSync(p);
        return p;
      } catch {
        return join(p.slice(0, -3), 'index.ts');
      }
    });
}

describe('dependency direction in lambdas/', () => {
  const all = files(LAMBDAS);

  it.each(all.map((f) => [relative(ROOT, f), f]))('%s imports only its layer or lower ones', (_name, file) => {
    const own = layer(file);
    const upward = relativeImports(file)
      .filter((target) => !target.startsWith(LAMBDAS) || layer(target) > own)
      .map((target) => relative(ROOT, target));
    expect(upward).toEqual([]);
  });
});

describe('the stack', () => {
  it('takes from lambdas/ only schemas, names and types, never handler code', () => {
    const allowed = [
      'lambdas/store/schema.ts',
      'lambdas/config.ts',
      'lambdas/core/policy/creation.ts',
      'lambdas/observability/names.ts',
      'lambdas/core/glob.ts',
      'lambdas/core/errors.ts',
      'lambdas/defaults.ts',
      'lambdas/core/targets/addresses.ts',
    ];
    for (const file of files(join(ROOT, 'lib'))) {
      const fromLambdas = relativeImports(file)
        .filter((t) => t.startsWith(LAMBDAS))
        .map((t) => relative(ROOT, t));
      for (const target of fromLambdas)
        expect({ file: relative(ROOT, file), target, allowed: allowed.includes(target) }).toEqual({ file: relative(ROOT, file), target, allowed: true });
    }
  });
});
