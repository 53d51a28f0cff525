// The identity sources by name (`login --source NAME`), and `--source auto`: the sources a node or CI job of that
// cloud would have, tried in the order the cloud's own SDKs try them (docs/wire-identities.md §5). Each source's
// module is imported only when it is used, so nothing here weighs on a `get` that needs no source.
//
//   cloud  order  source                    tried by auto when
//   aws    1      aws-env                   AWS_ACCESS_KEY_ID or AWS_SECRET_ACCESS_KEY is set
//          2      aws-profile               AWS_PROFILE is set, or the shared files have a `default` profile
//          3      aws-web-identity          AWS_ROLE_ARN and AWS_WEB_IDENTITY_TOKEN_FILE are set
//          4      aws-instance              always, unless AWS_EC2_METADATA_DISABLED=true (IMDSv2)
//   gcp    1      gcp-adc                   GOOGLE_APPLICATION_CREDENTIALS is set, or gcloud's ADC file exists
//          2      gcp-metadata              always
//   azure  1      azure-workload-identity   AZURE_FEDERATED_TOKEN_FILE is set
//          2      azure-managed-identity    always (IDENTITY_ENDPOINT flavour, else IMDS)
//   ibm    1      ibm-trusted-profile       a compute-resource token file exists and a profile is named
//          2      ibm-vpc-instance          always
//
// A source that is configured but fails stops `auto` with its own error (a real failure is never hidden behind
// "try the next one"); only a metadata service that does not answer at all lets `auto` go on.
import type { IdentityConfig } from '../config.js';
import { TransportError, UserError } from '../errors.js';
import type { AwsCredential } from './aws/credential.js';
import type { AwsSharedFiles } from './aws/profile-source.js';
import type { AzureCredential } from './azure/sources.js';
import type { GoogleCredential } from './gcp/sources.js';
import type { IbmCredential } from './ibm/sources.js';

export const SOURCE_CLOUDS = {
  'aws-env': 'aws',
  'aws-profile': 'aws',
  'aws-web-identity': 'aws',
  'aws-instance': 'aws',
  'gcp-adc': 'gcp',
  'gcp-metadata': 'gcp',
  'azure-workload-identity': 'azure',
  'azure-managed-identity': 'azure',
  'ibm-trusted-profile': 'ibm',
  'ibm-vpc-instance': 'ibm',
} as const;
export type SourceName = keyof typeof SOURCE_CLOUDS;
export type Cloud = (typeof SOURCE_CLOUDS)[SourceName];
export const isSourceName = (value: string): value is SourceName => Object.hasOwn(SOURCE_CLOUDS, value);

export interface CloudCredentials {
  aws: AwsCredential;
  gcp: GoogleCredential;
  azure: AzureCredential;
  ibm: IbmCredential;
}
export type SourceCredential = CloudCredentials[Cloud];

/** Everything a source may need beyond the environment: other features' settings and what the login recorded. */
export interface SourceContext {
  identity: IdentityConfig;
  /** The AWS shared files (AWS_SHARED_CREDENTIALS_FILE, AWS_CONFIG_FILE); without them aws-profile is not tried. */
  awsFiles?: AwsSharedFiles;
  /** AWS_ENDPOINT_URL_STS (or AWS_ENDPOINT_URL), for web identity. */
  stsEndpoint?: string;
  /** AZURE_AUTHORITY_HOST, for workload identity. */
  azureAuthorityHost?: string;
  /** A user-assigned managed identity's client id (the login's option). */
  azureClientId?: string;
  /** The IAM endpoint (the login's or LANYARD_IAM_ENDPOINT). */
  iamEndpoint?: string;
  /** The trusted profile the login named (by id, name, or for VPC by CRN). */
  ibmProfile?: { profileId?: string; profileName?: string; profileCrn?: string };
  /** Per-request deadline for remote token services (STS, Entra, IAM); metadata services keep their own. */
  timeoutMs?: number;
}

const timeout = (context: SourceContext) => (context.timeoutMs ? { timeoutMs: context.timeoutMs } : {});

/** The credential of one named source. */
export async function credentialFrom(source: SourceName, context: SourceContext): Promise<SourceCredential> {
  const { aws, google, azure, ibm } = context.identity;
  switch (source) {
    case 'aws-env':
      return (await import('./aws/credential.js')).awsFromEnvironment(aws);
    case 'aws-profile': {
      if (!context.awsFiles) throw new UserError('AWS profile: the shared config files are not known');
      const sts = context.stsEndpoint ? { stsEndpoint: context.stsEndpoint } : {};
      return (await import('./aws/profile-source.js')).awsFromProfile(aws, context.awsFiles, sts);
    }
    case 'aws-web-identity': {
      if (!aws.roleArn || !aws.webIdentityTokenFile) {
        throw new UserError('AWS web identity: AWS_ROLE_ARN and AWS_WEB_IDENTITY_TOKEN_FILE must both be set');
      }
      return (await import('./aws/web-identity.js')).awsWebIdentity({
        roleArn: aws.roleArn,
        tokenFile: aws.webIdentityTokenFile,
        ...(aws.roleSessionName ? { sessionName: aws.roleSessionName } : {}),
        ...(context.stsEndpoint ? { stsEndpoint: context.stsEndpoint } : {}),
        ...(aws.region ? { region: aws.region } : {}),
        ...timeout(context),
      });
    }
    case 'aws-instance':
      return (await import('./aws/instance-role.js')).awsInstanceRole(aws);
    case 'gcp-adc':
      return (await import('./gcp/sources.js')).googleApplicationDefault(google);
    case 'gcp-metadata':
      return (await import('./gcp/sources.js')).googleMetadata(google);
    case 'azure-workload-identity':
      return (await import('./azure/sources.js')).azureWorkloadIdentity(azure, {
        ...(context.azureAuthorityHost ? { authorityHost: context.azureAuthorityHost } : {}),
        ...timeout(context),
      });
    case 'azure-managed-identity': {
      const clientId = context.azureClientId ?? azure.clientId;
      return (await import('./azure/sources.js')).azureManagedIdentity(azure, clientId ? { clientId } : {});
    }
    case 'ibm-trusted-profile':
      return (await import('./ibm/sources.js')).ibmTrustedProfile(ibm, {
        ...context.ibmProfile,
        ...(context.iamEndpoint ? { iamEndpoint: context.iamEndpoint } : {}),
        ...timeout(context),
      });
    case 'ibm-vpc-instance': {
      const { profileId, profileCrn } = context.ibmProfile ?? {};
      return (await import('./ibm/sources.js')).ibmVpcInstance(ibm, {
        ...(profileId ? { profileId } : {}),
        ...(profileCrn ? { profileCrn } : {}),
      });
    }
  }
}

/** Why `auto` would not try a source here (a variable or file missing), or undefined when it would. */
async function notConfigured(source: SourceName, context: SourceContext): Promise<string | undefined> {
  const { aws, google, azure, ibm } = context.identity;
  switch (source) {
    case 'aws-env':
      return aws.accessKeyId || aws.secretAccessKey ? undefined : 'AWS_ACCESS_KEY_ID not set';
    case 'aws-profile': {
      if (!context.awsFiles) return 'no shared config files';
      if (aws.profile) return undefined;
      const { profileSettings } = await import('./aws/profile-source.js');
      return profileSettings(context.awsFiles, 'default') ? undefined : 'AWS_PROFILE not set, no default profile';
    }
    case 'aws-web-identity':
      return aws.roleArn && aws.webIdentityTokenFile ? undefined : 'AWS_WEB_IDENTITY_TOKEN_FILE not set';
    case 'aws-instance':
      return aws.imdsDisabled ? 'AWS_EC2_METADATA_DISABLED' : undefined;
    case 'gcp-adc':
      return (await import('./gcp/sources.js')).adcFilePath(google) ? undefined : 'no ADC file';
    case 'azure-workload-identity':
      return azure.federatedTokenFile ? undefined : 'AZURE_FEDERATED_TOKEN_FILE not set';
    case 'ibm-trusted-profile': {
      if (!context.ibmProfile?.profileId && !context.ibmProfile?.profileName) return 'no trusted profile named';
      return (await import('./ibm/sources.js')).crTokenPath(ibm) ? undefined : 'no compute-resource token file';
    }
    default:
      return undefined; // metadata services: asked
  }
}

export const AUTO_ORDER: Record<Cloud, SourceName[]> = {
  aws: ['aws-env', 'aws-profile', 'aws-web-identity', 'aws-instance'],
  gcp: ['gcp-adc', 'gcp-metadata'],
  azure: ['azure-workload-identity', 'azure-managed-identity'],
  ibm: ['ibm-trusted-profile', 'ibm-vpc-instance'],
};

/** Services on the host's link: silence from them means "not on this platform", so `auto` may give up quietly. */
const METADATA_SOURCES = new Set<SourceName>([
  'aws-instance',
  'gcp-metadata',
  'azure-managed-identity',
  'ibm-vpc-instance',
]);

/** `--source auto`: the first source of the cloud that is configured, and what it answered. */
export async function credentialFromAuto(
  cloud: Cloud,
  context: SourceContext,
): Promise<{ source: SourceName; credential: SourceCredential }> {
  const passed: string[] = [];
  for (const source of AUTO_ORDER[cloud]) {
    const reason = await notConfigured(source, context);
    if (reason) {
      passed.push(`${source}: ${reason}`);
      continue;
    }
    try {
      return { source, credential: await credentialFrom(source, context) };
    } catch (error) {
      // Only an absent metadata service means "not this one"; anything else is this source's real failure.
      if (!(error instanceof TransportError) || !METADATA_SOURCES.has(source)) throw error;
      passed.push(`${source}: ${error.message}`);
    }
  }
  throw new UserError(`no ${cloud} identity found here (${passed.join('; ')})`);
}
