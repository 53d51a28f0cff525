// What every AWS identity source answers, and the one that needs no request: the standard environment variables.
import type { AwsIdentityConfig } from '../../config.js';
import { UserError } from '../../errors.js';
import { registerSecret } from '../../foreign-text.js';
import type { Field } from '../../validate.js';
import { believedExpiry, secretField, type SourceIdentity } from '../source-io.js';

/** A role the caller must still assume with STS AssumeRole, signed with the keys beside it (shared-config profiles). */
export interface RoleToAssume {
  roleArn: string;
  sessionName?: string;
  externalId?: string;
  durationSeconds?: number;
}

export interface AwsCredential extends SourceIdentity {
  accessKeyId: string;
  secretAccessKey: string;
  /** Present for temporary keys (ASIA…): requests must carry it as X-Amz-Security-Token. */
  sessionToken?: string;
  /** The profile names a role: these keys only sign its AssumeRole (the aws-ecr provider's existing call). */
  assumeRole?: RoleToAssume;
}

/** Keys found somewhere (`from` says where, for people): the secret parts registered for redaction at once. */
export function accessKeys(
  accessKeyId: string,
  secretAccessKey: string,
  sessionToken: string | undefined,
  from: string,
): AwsCredential {
  registerSecret(secretAccessKey);
  registerSecret(sessionToken);
  return {
    accessKeyId,
    secretAccessKey,
    ...(sessionToken ? { sessionToken } : {}),
    identity: `access key ${accessKeyId} (${from})`,
  };
}

/** AWS_ACCESS_KEY_ID + AWS_SECRET_ACCESS_KEY (+ AWS_SESSION_TOKEN), as every AWS SDK reads them first. */
export function awsFromEnvironment(aws: AwsIdentityConfig): AwsCredential {
  const { accessKeyId, secretAccessKey, sessionToken } = aws;
  if (!accessKeyId || !secretAccessKey) {
    const missing = accessKeyId ? 'AWS_SECRET_ACCESS_KEY' : 'AWS_ACCESS_KEY_ID';
    throw new UserError(`AWS environment keys: ${missing} is not set (set both AWS_ACCESS_KEY_ID and the secret)`);
  }
  return accessKeys(accessKeyId, secretAccessKey, sessionToken, 'environment');
}

/**
 * Role credentials as IMDS and the container endpoints answer them (`AccessKeyId`, `SecretAccessKey`, `Token`,
 * `Expiration`): the secrets registered, the expiry believed only as far as service-limits.ts allows.
 */
export function roleCredentials(where: string, body: Field, identity: string): AwsCredential {
  const expiresAt = Date.parse(body.member('Expiration').nonEmptyString());
  return {
    accessKeyId: body.member('AccessKeyId').nonEmptyString(),
    secretAccessKey: secretField(body.member('SecretAccessKey')),
    sessionToken: secretField(body.member('Token')),
    expiresAt: believedExpiry(where, expiresAt),
    identity,
  };
}
