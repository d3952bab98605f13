/**
 * Bundles every handler with the stack's esbuild settings (lib/bundling.ts) into bench/dist/,
 * to measure bundle sizes and module initialisation without synthesizing the stack.
 */
import { mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import { ESBUILD_TARGET, EXTERNAL_MODULES, HANDLERS, handlerEntry, type HandlerName } from '../lib/bundling';

export const DIST = join(__dirname, '..', 'bench', 'dist');

export interface BundleInfo {
  readonly handler: HandlerName;
  readonly file: string;
  readonly bytes: number;
}

export async function buildLambdas(): Promise<BundleInfo[]> {
  mkdirSync(DIST, { recursive: true });
  return Promise.all(
    HANDLERS.map(async (handler) => {
      const file = join(DIST, `${handler}.js`);
      await build({
        entryPoints: [handlerEntry(handler)],
        outfile: file,
        bundle: true,
        platform: 'node',
        format: 'cjs',
        target: ESBUILD_TARGET,
        minify: true,
        sourcemap: true,
        external: EXTERNAL_MODULES,
        logLevel: 'silent',
      });
      return { handler, file, bytes: statSync(file).size };
    }),
  );
}

if (require.main === module) {
  buildLambdas()
    .then((bundles) => {
      for (const b of bundles) console.log(`${b.handler.padEnd(14)} ${(b.bytes / 1024).toFixed(1)} KiB  ${b.file}`);
    })
    .catch((e: unknown) => {
      console.error(e);
      process.exit(1);
    });
}
