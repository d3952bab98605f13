/**
 * Opt-in identity without an external IdP (`-c identity=cognito`): a Cognito user pool and an app
 * client, configured as an issuer, so a first deployment can be used at once. Subjects are
 * `cognito:<username>` (claim `cognito:username`); the audience is the app client id, which Cognito
 * puts in `aud` of its ID tokens (access tokens carry `client_id` instead), so devices send ID tokens.
 */
import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import { Construct } from 'constructs';
import type { IssuerConfig } from '../lambdas/config';

export const COGNITO_PREFIX = 'cognito';
export const COGNITO_CLAIM = 'cognito:username';

export class CognitoIdentity extends Construct {
  public readonly userPool: cognito.UserPool;
  public readonly client: cognito.UserPoolClient;
  /** The issuer entry for AUTH_ISSUERS (values are tokens resolved at deploy time). */
  public readonly issuer: IssuerConfig;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    this.userPool = new cognito.UserPool(this, 'Users', {
      // Operators create device and application users (README); nobody signs up on their own.
      selfSignUpEnabled: false,
      signInAliases: { username: true },
      passwordPolicy: { minLength: 12, requireLowercase: true, requireUppercase: true, requireDigits: true, requireSymbols: true },
      accountRecovery: cognito.AccountRecovery.NONE,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.client = this.userPool.addClient('Devices', {
      authFlows: { userPassword: true },
      generateSecret: false,
      idTokenValidity: Duration.hours(1),
      accessTokenValidity: Duration.hours(1),
      refreshTokenValidity: Duration.days(30),
      preventUserExistenceErrors: true,
      // Tokens come from initiate-auth only: no hosted UI, no OAuth flows with placeholder callback URLs.
      disableOAuth: true,
    });
    const issuerUrl = `https://cognito-idp.${Stack.of(this).region}.amazonaws.com/${this.userPool.userPoolId}`;
    this.issuer = {
      issuer: issuerUrl,
      jwksUrl: `${issuerUrl}/.well-known/jwks.json`,
      prefix: COGNITO_PREFIX,
      claim: COGNITO_CLAIM,
      audience: this.client.userPoolClientId,
    };
    Validations.of(this.userPool).acknowledge(
      {
        id: 'AwsSolutions-COG2',
        reason:
          'Users are devices and services signing in with a password from a program; MFA cannot be answered by a device. Use an external IdP where people sign in.',
      },
      { id: 'AwsSolutions-COG8', reason: 'A starter pool for a first deployment: the Plus plan (threat protection) is a paid choice for production.' },
      { id: 'AwsSolutions-COG3', reason: 'Advanced security mode (replaced by the Plus plan) is a paid choice for production.' },
    );
  }
}
