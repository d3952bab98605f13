import { Duration, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { DEFAULTS } from '../lambdas/defaults';
import { ESBUILD_TARGET, EXTERNAL_MODULES, handlerEntry, type HandlerName } from './bundling';

export interface HandlerFunctionProps {
  readonly handler: HandlerName;
  readonly environment: Record<string, string>;
  /** @default 512 */
  readonly memorySize?: number;
  /** @default 10 seconds */
  readonly timeout?: Duration;
  /** @default one month */
  readonly logRetention?: logs.RetentionDays;
  /** X-Ray active tracing. @default false */
  readonly tracing?: boolean;
}

/** The one NodejsFunction factory: Node.js 22 on arm64, minified esbuild bundle with source maps, SDK external. */
export class HandlerFunction extends Construct {
  public readonly fn: NodejsFunction;

  constructor(scope: Construct, id: string, props: HandlerFunctionProps) {
    super(scope, id);
    const logGroup = new logs.LogGroup(this, 'Logs', { retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH });
    // Own role with write access to this function's log group only, instead of the managed
    // AWSLambdaBasicExecutionRole (which allows writing to any log group).
    const role = new iam.Role(this, 'Role', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    logGroup.grantWrite(role);
    this.fn = new NodejsFunction(this, 'Function', {
      role,
      entry: handlerEntry(props.handler),
      handler: 'handler',
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memorySize ?? DEFAULTS.lambdaMemoryMb,
      timeout: props.timeout ?? Duration.seconds(10),
      logGroup,
      ...(props.tracing ? { tracing: lambda.Tracing.ACTIVE } : {}),
      environment: { ...props.environment, NODE_OPTIONS: '--enable-source-maps', POWERTOOLS_SERVICE_NAME: 'ditto-live-router' },
      bundling: {
        minify: true,
        sourceMap: true,
        target: ESBUILD_TARGET,
        format: OutputFormat.CJS,
        externalModules: EXTERNAL_MODULES,
      },
    });
    if (props.tracing) {
      Validations.of(this).acknowledge({
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason: 'X-Ray PutTraceSegments/PutTelemetryRecords support no resource-level permissions (AWS documents Resource "*" for them).',
      });
    }
    Validations.of(this).acknowledge(
      { id: 'AwsSolutions-L1', reason: 'Node.js 22 is the runtime this product targets and tests against; raise it deliberately, not by a linter.' },
      { id: 'AwsSolutions-IAM5', reason: "Lambda creates log streams with generated names inside this function's own log group (log-group:<name>:*)." },
    );
  }
}
