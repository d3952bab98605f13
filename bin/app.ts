#!/usr/bin/env node
/** CDK app: configuration comes from context (cdk.json or `-c key=value`), nothing is hard-coded. */
import { App } from 'aws-cdk-lib';
import type { IssuerConfig } from '../lambdas/config';
import type { CreationRestriction } from '../lambdas/core/policy/creation';
import { DEFAULTS } from '../lambdas/defaults';
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
const devopsSubjects = context<string[]>('devopsSubjects', []);
const targetAllowedNetworks = context<string[]>('targetAllowedNetworks', []);

new MessagingStack(app, context<string>('stackName', 'DittoLiveRouter'), {
  issuers,
  ...(devBasicUsers ? { devBasicUsers } : {}),
  ...(entityCreation ? { entityCreation } : {}),
  withheldHeaders,
  devopsSubjects,
  targetAllowedNetworks,
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
  logLevel: context<'DEBUG' | 'INFO' | 'WARN' | 'ERROR'>('logLevel', DEFAULTS.logLevel),
  maxMessageBytes: context<number>('maxMessageBytes', DEFAULTS.maxMessageBytes),
  maxHttpTimeoutSeconds: context<number>('maxHttpTimeoutSeconds', DEFAULTS.maxHttpTimeoutSeconds),
  cacheTtlMs: context<number>('cacheTtlMs', DEFAULTS.cacheTtlMs),
  lambdaMemoryMb: context<number>('lambdaMemoryMb', DEFAULTS.lambdaMemoryMb),
  logRetentionDays: context<number>('logRetentionDays', DEFAULTS.logRetentionDays),
  throttle: {
    rateLimit: context<number>('throttleRateLimit', DEFAULTS.throttle.rateLimit),
    burstLimit: context<number>('throttleBurstLimit', DEFAULTS.throttle.burstLimit),
  },
  webSocketStageName: context<string>('webSocketStageName', DEFAULTS.webSocketStageName),
  env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
});
