/** esbuild settings shared by the stack's NodejsFunctions and `scripts/build-lambdas.ts` (bench). */
import { join } from 'node:path';

export const HANDLERS = [
  'http-api',
  'ws-authorizer',
  'ws-connect',
  'ws-disconnect',
  'ws-default',
  'ws-timeout',
  'fanout',
  'token-sweep',
  'target-push',
] as const;
export type HandlerName = (typeof HANDLERS)[number];

export const handlerEntry = (name: HandlerName): string => join(__dirname, '..', 'lambdas', 'handlers', `${name}.ts`);

/** The AWS SDK v3 is part of the Node.js 22 Lambda runtime: keep it out of the bundles. */
export const EXTERNAL_MODULES = ['@aws-sdk/*'];
export const ESBUILD_TARGET = 'node22';
