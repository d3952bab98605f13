/**
 * Builds the live console: `console/src/main.ts` bundled by esbuild (one minified IIFE, no external
 * code) beside `index.html` and `console.css`. The local gateway serves the result at `/`; the stack
 * deploys the same files under `/console/`.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildSync } from 'esbuild';

export interface ConsoleFiles {
  readonly 'index.html': string;
  readonly 'console.js': string;
  readonly 'console.css': string;
}

export const CONSOLE_CONTENT_TYPES: Readonly<Record<keyof ConsoleFiles, string>> = {
  'index.html': 'text/html; charset=utf-8',
  'console.js': 'text/javascript; charset=utf-8',
  'console.css': 'text/css; charset=utf-8',
};

/** The page loads only its own files and talks only to its own origin (HTTP API and WebSocket). */
export const CONSOLE_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

export function buildConsole(): ConsoleFiles {
  const out = buildSync({
    entryPoints: [join(__dirname, 'src', 'main.ts')],
    bundle: true,
    minify: true,
    format: 'iife',
    target: ['chrome120', 'firefox120', 'safari17'],
    write: false,
    legalComments: 'none',
    logLevel: 'silent',
  });
  return {
    'index.html': readFileSync(join(__dirname, 'index.html'), 'utf8'),
    'console.js': out.outputFiles[0]!.text,
    'console.css': readFileSync(join(__dirname, 'console.css'), 'utf8'),
  };
}
