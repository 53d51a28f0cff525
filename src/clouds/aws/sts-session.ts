// STS AssumeRole that a source makes itself: the inner roles of a profile chain (a source_profile that is a role
// profile without keys of its own). The outermost role stays the aws-ecr provider's, which assumes it per
// exchange. STS is asked in the SDKs' region (AWS_REGION, AWS_DEFAULT_REGION, the profile's `region`) at its
// regional endpoint, or at AWS_ENDPOINT_URL_STS; without a region, at the global endpoint (us-east-1).
import { assertSafeEndpoint } from '../../http.js';
import { assumeRole } from './aws-client.js';
import type { AwsCredential } from './credential.js';
import { stsEndpointFor } from './web-identity.js';

export interface StsOptions {
  stsEndpoint?: string;
  region?: string;
  timeoutMs?: number;
}

/** `credential`'s role assumed now with its keys: the session's keys, with no role left to assume. */
export async function assumeNow(
  credential: AwsCredential,
  profile: string,
  options: StsOptions,
): Promise<AwsCredential> {
  const role = credential.assumeRole!;
  const region = options.region ?? 'us-east-1';
  const endpoint = assertSafeEndpoint(options.stsEndpoint ?? stsEndpointFor(options.region), 'the STS endpoint');
  const api = { signingName: 'sts', region, endpoint, label: `AWS STS at ${endpoint.origin}` };
  const session = await assumeRole(
    api,
    credential,
    { ...role, sessionName: role.sessionName ?? `lanyard-${Date.now()}` },
    { permission: `sts:AssumeRole on ${role.roleArn}`, relogin: `fix the AWS profile ${profile}` },
    options.timeoutMs,
  );
  const { arn, ...keys } = session;
  return { ...keys, identity: `${arn || role.roleArn} (profile ${profile})` };
}
