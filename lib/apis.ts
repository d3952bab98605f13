import * as apigw from 'aws-cdk-lib/aws-apigatewayv2';
import { WebSocketLambdaAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration, WebSocketLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Aws, type CfnElement, Stack, Token, Validations } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { HTTP_ACCESS_LOG_FORMAT, WEBSOCKET_ACCESS_LOG_FORMAT } from './access-logs';

export interface ThrottleProps {
  /** Steady-state requests per second. */
  readonly rateLimit: number;
  /** Burst capacity. */
  readonly burstLimit: number;
}

function configureStage(scope: Construct, stage: apigw.CfnStage, format: string, throttle: ThrottleProps, retention: logs.RetentionDays): logs.LogGroup {
  const logGroup = new logs.LogGroup(scope, 'AccessLogs', { retention });
  stage.accessLogSettings = { destinationArn: logGroup.logGroupArn, format };
  stage.defaultRouteSettings = { throttlingRateLimit: throttle.rateLimit, throttlingBurstLimit: throttle.burstLimit };
  return logGroup;
}

export interface ThingsHttpApiProps {
  readonly handler: lambda.IFunction;
  readonly throttle: ThrottleProps;
  readonly logRetention: logs.RetentionDays;
}

/** HTTP API: every `/api/2/...` route goes to the http-api function (payload format 2.0). */
export class ThingsHttpApi extends Construct {
  public readonly api: apigw.HttpApi;
  public readonly url: string;

  constructor(scope: Construct, id: string, props: ThingsHttpApiProps) {
    super(scope, id);
    this.api = new apigw.HttpApi(this, 'Api', { description: 'Ditto-compatible HTTP API: things, policies, live messages' });
    // Payload format 2.0 is the integration's default (the stack test pins it in the template).
    const integration = new HttpLambdaIntegration('Integration', props.handler);
    this.api.addRoutes({ path: '/api/2/{proxy+}', methods: [apigw.HttpMethod.ANY], integration });
    Validations.of(this).acknowledge({
      id: 'AwsSolutions-APIG4',
      reason:
        "The handler authenticates every request itself (JWT/Basic) so that failures carry Ditto's error body; a gateway authorizer could only answer a bare 401.",
    });
    configureStage(this, this.api.defaultStage!.node.defaultChild as apigw.CfnStage, HTTP_ACCESS_LOG_FORMAT, props.throttle, props.logRetention);
    this.url = `${this.api.apiEndpoint}/api/2`;
  }
}

export interface LiveWebSocketApiProps {
  readonly authorizer: lambda.IFunction;
  readonly connect: lambda.IFunction;
  readonly disconnect: lambda.IFunction;
  readonly default: lambda.IFunction;
  readonly stageName: string;
  readonly throttle: ThrottleProps;
  readonly logRetention: logs.RetentionDays;
}

/** WebSocket API with $connect (Lambda REQUEST authorizer), $disconnect and $default (two-way). */
export class LiveWebSocketApi extends Construct {
  public readonly api: apigw.WebSocketApi;
  public readonly stage: apigw.WebSocketStage;
  public readonly url: string;
  /** The Management API endpoint, built from ids (not the stage resource) to avoid a dependency cycle. */
  public readonly managementEndpoint: string;

  constructor(scope: Construct, id: string, props: LiveWebSocketApiProps) {
    super(scope, id);
    // No identity source: the token may come as a header or as the access_token query parameter,
    // so API Gateway must not reject requests lacking one of them; the authorizer decides. API Gateway
    // documents the identity source of a REQUEST authorizer as optional when results are not cached,
    // and WebSocket authorizers are never cached.
    const authorizer = new WebSocketLambdaAuthorizer('Authorizer', props.authorizer, { identitySource: [] });
    this.api = new apigw.WebSocketApi(this, 'Api', {
      description: 'Ditto Protocol WebSocket for live messages',
      connectRouteOptions: { integration: new WebSocketLambdaIntegration('ConnectIntegration', props.connect), authorizer },
      disconnectRouteOptions: { integration: new WebSocketLambdaIntegration('DisconnectIntegration', props.disconnect) },
      defaultRouteOptions: { integration: new WebSocketLambdaIntegration('DefaultIntegration', props.default), returnResponse: true },
    });
    this.stage = new apigw.WebSocketStage(this, 'Stage', { webSocketApi: this.api, stageName: props.stageName, autoDeploy: true });
    Validations.of(this).acknowledge({
      id: 'AwsSolutions-APIG4',
      reason: 'WebSocket authorizers run on $connect only; $default and $disconnect belong to an already authorized connection, whose subjects they receive.',
    });
    configureStage(this, this.stage.node.defaultChild as apigw.CfnStage, WEBSOCKET_ACCESS_LOG_FORMAT, props.throttle, props.logRetention);
    const host = `${this.api.apiId}.execute-api.${Aws.REGION}.${Aws.URL_SUFFIX}`;
    this.url = `wss://${host}/${props.stageName}`;
    this.managementEndpoint = `https://${host}/${props.stageName}`;
  }

  /** `execute-api:ManageConnections` on this API's stage only. */
  managementArn(): string {
    return Stack.of(this).formatArn({ service: 'execute-api', resource: this.api.apiId, resourceName: `${this.stage.stageName}/*/@connections/*` });
  }

  /** The cdk-nag finding id of the `@connections/*` wildcard in `managementArn()`, to acknowledge it precisely. */
  managementWildcardFindingId(): string {
    const stack = Stack.of(this);
    const part = (value: string, pseudo: string) => (Token.isUnresolved(value) ? `<${pseudo}>` : value);
    const apiLogicalId = stack.getLogicalId(this.api.node.defaultChild as CfnElement);
    return `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:execute-api:${part(stack.region, 'AWS::Region')}:${part(stack.account, 'AWS::AccountId')}:<${apiLogicalId}>/${this.stage.stageName}/*/@connections/*]`;
  }
}
