/**
 * One domain in front of both APIs, as Ditto serves them: `/api/2/*` to the HTTP API, `/ws/2` to the
 * WebSocket API's stage (a CloudFront Function rewrites the path), `/console/*` to an S3 bucket for
 * the live console. API Gateway cannot put a WebSocket API and an HTTP API on one custom domain;
 * CloudFront can. Nothing is cached; viewers must use HTTPS.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Aws, Duration, RemovalPolicy, Stack, Token, Validations } from 'aws-cdk-lib';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import * as origins from 'aws-cdk-lib/aws-cloudfront-origins';
import * as route53 from 'aws-cdk-lib/aws-route53';
import * as targets from 'aws-cdk-lib/aws-route53-targets';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3deploy from 'aws-cdk-lib/aws-s3-deployment';
import * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';
import { buildConsole, CONSOLE_CSP } from '../console/build';

export interface FrontDoorProps {
  /** The HTTP API's id (its default stage serves `/api/2/...`). */
  readonly httpApiId: string;
  /** The WebSocket API's id and stage. */
  readonly webSocketApiId: string;
  readonly webSocketStage: string;
  /** A custom domain name; needs `certificateArn`. @default the distribution's cloudfront.net name */
  readonly domainName?: string;
  /** ACM certificate for `domainName`, in us-east-1 (CloudFront's requirement). */
  readonly certificateArn?: string;
  /** Route 53 hosted zone to create the alias records in. @default no DNS records */
  readonly hostedZone?: { readonly id: string; readonly name: string };
  /** Requests per client IP per 5 minutes before AWS WAF blocks it; creates a web ACL (stack in us-east-1 only). @default no WAF */
  readonly wafRateLimit?: number;
  /** An existing AWS WAF web ACL (scope CLOUDFRONT, us-east-1) to attach instead. @default none */
  readonly webAclArn?: string;
}

/** A CloudFront Function's code from lib/cloudfront/, with placeholders filled. */
export function cloudFrontFunctionCode(file: string, replacements: Record<string, string> = {}): string {
  let code = readFileSync(join(__dirname, 'cloudfront', file), 'utf8');
  for (const [key, value] of Object.entries(replacements)) code = code.split(key).join(value);
  return code;
}

export class FrontDoor extends Construct {
  public readonly distribution: cloudfront.Distribution;
  public readonly consoleBucket: s3.Bucket;
  /** The domain clients use: the custom one, or the distribution's. */
  public readonly domainName: string;

  constructor(scope: Construct, id: string, props: FrontDoorProps) {
    super(scope, id);
    if ((props.domainName === undefined) !== (props.certificateArn === undefined)) {
      throw new Error('domainName and certificateArn go together: CloudFront serves a custom domain only with its certificate (in us-east-1).');
    }
    if (props.hostedZone && !props.domainName) throw new Error('hostedZone needs domainName: the alias records are for that name.');
    if (props.wafRateLimit !== undefined && props.webAclArn !== undefined)
      throw new Error('Give either wafRateLimit (a new web ACL) or webAclArn (an existing one), not both.');
    if (props.wafRateLimit !== undefined && (!Number.isInteger(props.wafRateLimit) || props.wafRateLimit < 10)) {
      throw new Error(`wafRateLimit must be an integer of at least 10 requests per 5 minutes (AWS WAF's minimum), got ${props.wafRateLimit}.`);
    }
    const region = Stack.of(this).region;
    if (props.wafRateLimit !== undefined && !Token.isUnresolved(region) && region !== 'us-east-1') {
      throw new Error(
        `A web ACL for CloudFront must be created in us-east-1, but this stack is in ${region}: create it there and pass its ARN as webAclArn, or deploy the stack to us-east-1.`,
      );
    }

    const apiHost = (apiId: string) => `${apiId}.execute-api.${Aws.REGION}.${Aws.URL_SUFFIX}`;
    // Longer than API Gateway's 30 s integration limit, so its own answer (ours: a 408 before it) reaches the client.
    const httpApiOrigin = new origins.HttpOrigin(apiHost(props.httpApiId), {
      protocolPolicy: cloudfront.OriginProtocolPolicy.HTTPS_ONLY,
      readTimeout: Duration.seconds(35),
    });
    // HTTPS only and a 30 s read timeout are the defaults (the stack test pins both): a handshake waits for the
    // $connect authorizer and handler.
    const webSocketOrigin = new origins.HttpOrigin(apiHost(props.webSocketApiId));

    // Every viewer header but Host (API Gateway answers 403 to a foreign Host), all cookies and query
    // strings (access_token); with caching disabled this managed policy forwards Authorization too.
    const api: Omit<cloudfront.BehaviorOptions, 'origin'> = {
      viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.HTTPS_ONLY,
      allowedMethods: cloudfront.AllowedMethods.ALLOW_ALL,
      cachePolicy: cloudfront.CachePolicy.CACHING_DISABLED,
      originRequestPolicy: cloudfront.OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
      compress: false,
    };

    this.consoleBucket = new s3.Bucket(this, 'Console', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      // Kept when the stack is deleted (CloudFormation cannot delete a bucket with files): delete it yourself afterwards.
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(this.consoleBucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason: 'Holds only the static live-console files deployed from this repository; requests for them are in the CloudFront distribution and its logs.',
    });

    const wsPath = new cloudfront.Function(this, 'WebSocketPath', {
      comment: 'Rewrites /ws/2 to the WebSocket API stage',
      runtime: cloudfront.FunctionRuntime.JS_2_0,
      code: cloudfront.FunctionCode.fromInline(cloudFrontFunctionCode('ws-path.js', { __STAGE__: props.webSocketStage })),
    });
    const consoleIndex = new cloudfront.Function(this, 'ConsoleIndex', {
      comment: 'Serves index.html for /console/',
      runtime: cloudfront.FunctionRuntime.JS_2_0,
      code: cloudfront.FunctionCode.fromInline(cloudFrontFunctionCode('console-index.js')),
    });

    const webAclArn = props.webAclArn ?? (props.wafRateLimit !== undefined ? this.createWebAcl(props.wafRateLimit).attrArn : undefined);
    const certificate = props.certificateArn ? acm.Certificate.fromCertificateArn(this, 'Certificate', props.certificateArn) : undefined;

    this.distribution = new cloudfront.Distribution(this, 'Distribution', {
      comment: 'Ditto live router: /api/2, /ws/2, /console/',
      // Anything else goes to the HTTP API (API Gateway itself answers 404 for paths outside /api/2).
      defaultBehavior: { origin: httpApiOrigin, ...api },
      additionalBehaviors: {
        '/api/2/*': { origin: httpApiOrigin, ...api },
        '/ws/2*': {
          origin: webSocketOrigin,
          ...api,
          allowedMethods: cloudfront.AllowedMethods.ALLOW_GET_HEAD,
          functionAssociations: [{ function: wsPath, eventType: cloudfront.FunctionEventType.VIEWER_REQUEST }],
        },
        '/console*': {
          origin: origins.S3BucketOrigin.withOriginAccessControl(this.consoleBucket),
          viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
          cachePolicy: cloudfront.CachePolicy.CACHING_OPTIMIZED,
          responseHeadersPolicy: this.consoleHeaders(),
          functionAssociations: [{ function: consoleIndex, eventType: cloudfront.FunctionEventType.VIEWER_REQUEST }],
        },
      },
      httpVersion: cloudfront.HttpVersion.HTTP2_AND_3,
      // TLS 1.2 (2021) applies with a custom certificate; CloudFront fixes the policy of its own certificate.
      ...(props.domainName && certificate
        ? { domainNames: [props.domainName], certificate, minimumProtocolVersion: cloudfront.SecurityPolicyProtocol.TLS_V1_2_2021 }
        : {}),
      ...(webAclArn ? { webAclId: webAclArn } : {}),
    });
    this.domainName = props.domainName ?? this.distribution.distributionDomainName;
    this.deployConsole();

    if (props.hostedZone && props.domainName) {
      const zone = route53.HostedZone.fromHostedZoneAttributes(this, 'Zone', { hostedZoneId: props.hostedZone.id, zoneName: props.hostedZone.name });
      const target = route53.RecordTarget.fromAlias(new targets.CloudFrontTarget(this.distribution));
      new route53.ARecord(this, 'Alias', { zone, recordName: props.domainName, target });
      new route53.AaaaRecord(this, 'AliasIpv6', { zone, recordName: props.domainName, target });
    }

    Validations.of(this.distribution).acknowledge(
      { id: 'AwsSolutions-CFR1', reason: 'Devices connect from anywhere; geo restriction is a deployment choice, not a default.' },
      { id: 'AwsSolutions-CFR3', reason: 'API Gateway access logs already record every request that reaches the APIs; console files are static.' },
      ...(webAclArn
        ? []
        : [{ id: 'AwsSolutions-CFR2', reason: 'AWS WAF is opt-in (context wafRateLimit or webAclArn): it costs per request and needs us-east-1.' }]),
      ...(certificate
        ? []
        : [
            {
              id: 'AwsSolutions-CFR4',
              reason:
                'Without a custom domain CloudFront serves its own *.cloudfront.net certificate, whose security policy it fixes itself; with domainName + certificateArn the stack sets TLS 1.2 (2021).',
            },
          ]),
    );
  }

  /** The page talks only to its own origin and runs only its own script (the same policy the local runtime sends). */
  private consoleHeaders(): cloudfront.ResponseHeadersPolicy {
    return new cloudfront.ResponseHeadersPolicy(this, 'ConsoleHeaders', {
      comment: 'Live console: CSP and security headers',
      securityHeadersBehavior: {
        contentSecurityPolicy: { contentSecurityPolicy: CONSOLE_CSP, override: true },
        contentTypeOptions: { override: true },
        frameOptions: { frameOption: cloudfront.HeadersFrameOption.DENY, override: true },
        referrerPolicy: { referrerPolicy: cloudfront.HeadersReferrerPolicy.NO_REFERRER, override: true },
        // Not includeSubdomains: with a custom apex domain that would bind every subdomain of it to HTTPS too.
        strictTransportSecurity: { accessControlMaxAge: Duration.days(365), includeSubdomains: false, override: true },
      },
    });
  }

  /**
   * The console's files (built by esbuild at synth) go under `console/` in the bucket with CDK's
   * BucketDeployment, and the cached copies are invalidated. Its provider function (CDK's own, Python)
   * may write to this bucket and invalidate this distribution only.
   */
  private deployConsole(): void {
    const files = buildConsole();
    const deployment = new s3deploy.BucketDeployment(this, 'ConsoleFiles', {
      sources: Object.entries(files).map(([name, content]) => s3deploy.Source.data(name, content)),
      destinationBucket: this.consoleBucket,
      destinationKeyPrefix: 'console/',
      prune: true,
      cacheControl: [s3deploy.CacheControl.noCache()],
      distribution: this.distribution,
      distributionPaths: ['/console*'],
      memoryLimit: 256,
    });
    // The provider is a singleton at stack level (its id names CDK's fixed uuid and the memory size).
    const provider = Stack.of(this).node.children.find((c) => c.node.id.startsWith('Custom::CDKBucketDeployment'));
    for (const scope of [deployment.handlerRole, ...(provider ? [provider] : [])]) {
      Validations.of(scope).acknowledge(
        {
          id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
          reason: "CDK's BucketDeployment provider function comes with this role; it only writes its own logs with it.",
        },
        ...this.deploymentWildcards().map((id) => ({
          id,
          reason:
            "CDK's BucketDeployment copies the console files from the CDK asset bucket into the console bucket (object wildcards within those two buckets) and invalidates them in CloudFront (CreateInvalidation has no resource-level permissions).",
        })),
        { id: 'AwsSolutions-L1', reason: "CDK's BucketDeployment provider function: its runtime is chosen by aws-cdk-lib." },
      );
    }
  }

  /** The wildcard findings cdk-nag reports for BucketDeployment's provider policy, each named. */
  private deploymentWildcards(): string[] {
    const stack = Stack.of(this);
    const account = Token.isUnresolved(stack.account) ? '<AWS::AccountId>' : stack.account;
    const region = Token.isUnresolved(stack.region) ? '<AWS::Region>' : stack.region;
    const bucket = stack.getLogicalId(this.consoleBucket.node.defaultChild as s3.CfnBucket);
    return [
      ...['s3:Abort*', 's3:DeleteObject*', 's3:GetBucket*', 's3:GetObject*', 's3:List*'].map((a) => `AwsSolutions-IAM5[Action::${a}]`),
      'AwsSolutions-IAM5[Resource::*]',
      `AwsSolutions-IAM5[Resource::<${bucket}.Arn>/*]`,
      `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::cdk-hnb659fds-assets-${account}-${region}/*]`,
    ];
  }

  /** A CLOUDFRONT-scope web ACL with one rate-based rule per client IP. */
  private createWebAcl(limit: number): wafv2.CfnWebACL {
    return new wafv2.CfnWebACL(this, 'WebAcl', {
      scope: 'CLOUDFRONT',
      defaultAction: { allow: {} },
      visibilityConfig: { cloudWatchMetricsEnabled: true, metricName: 'DittoLiveRouterWebAcl', sampledRequestsEnabled: true },
      rules: [
        {
          name: 'RatePerClientIp',
          priority: 0,
          action: { block: {} },
          statement: { rateBasedStatement: { limit, aggregateKeyType: 'IP', evaluationWindowSec: 300 } },
          visibilityConfig: { cloudWatchMetricsEnabled: true, metricName: 'RatePerClientIp', sampledRequestsEnabled: true },
        },
      ],
    });
  }
}
