#!/usr/bin/env node
/** CDK app: configuration comes from context (cdk.json or `-c key=value`), nothing is hard-coded. */
import { App } from 'aws-cdk-lib';
import type { IssuerConfig } from '../lambdas/config';
import type { CreationRestriction } from '../lambdas/core/policy/creation';
import { MessagingStack } from '../lib/messaging-stack';

const app = new App();

function context<T>(key: string, fallback: T): T {
  const raw: unknown = app.node.tryGetContext(key);
  if (raw === undefined || raw === null || raw === '') return fallback;
  if (typeof raw === 'string' && typeof fallback !== 'string') {
    try {
      return JSON.parse(raw) as T; // `-c issuers='[...]'` or `-c maxHttpTimeoutSeconds=20` arrive as strings
    } catch {
      throw new Error(`Context '${key}' must be JSON, got '${raw}'.`);
    }
  }
  return raw as T;
}

const issuers = context<IssuerConfig[]>('issuers', []);
const devBasicUsers = context<string>('devBasicUsers', '');
const entityCreation = context<CreationRestriction | undefined>('entityCreation', undefined);
const withheldHeaders = context<string[]>('withheldHeaders', []);

new MessagingStack(app, context<string>('stackName', 'DittoLiveRouter'), {
  issuers,
  ...(devBasicUsers ? { devBasicUsers } : {}),
  ...(entityCreation ? { entityCreation } : {}),
  withheldHeaders,
  apiGatewayCloudWatchRole: context('apiGatewayCloudWatchRole', true),
  ...(context<string>('alarmEmail', '') ? { alarmEmail: context<string>('alarmEmail', '') } : {}),
  tracing: context('tracing', false),
  frontDoor: context('frontDoor', true)
    ? {
        ...(context<string>('domainName', '') ? { domainName: context<string>('domainName', '') } : {}),
        ...(context<string>('certificateArn', '') ? { certificateArn: context<string>('certificateArn', '') } : {}),
        ...(context<string>('hostedZoneId', '')
          ? { hostedZone: { id: context<string>('hostedZoneId', ''), name: context<string>('hostedZoneName', '') } }
          : {}),
        ...(context<number>('wafRateLimit', 0) ? { wafRateLimit: context<number>('wafRateLimit', 0) } : {}),
        ...(context<string>('webAclArn', '') ? { webAclArn: context<string>('webAclArn', '') } : {}),
      }
    : false,
  ...(context<string>('identity', '') ? { identity: context<string>('identity', '') as 'cognito' } : {}),
  logLevel: context<'DEBUG' | 'INFO' | 'WARN' | 'ERROR'>('logLevel', 'INFO'),
  maxMessageBytes: context('maxMessageBytes', 131072),
  maxHttpTimeoutSeconds: context('maxHttpTimeoutSeconds', 29),
  cacheTtlMs: context('cacheTtlMs', 2000),
  lambdaMemoryMb: context('lambdaMemoryMb', 512),
  logRetentionDays: context('logRetentionDays', 30),
  throttle: { rateLimit: context('throttleRateLimit', 500), burstLimit: context('throttleBurstLimit', 1000) },
  webSocketStageName: context('webSocketStageName', 'ws'),
  env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
});
