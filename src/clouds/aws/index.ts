// Amazon ECR: an access key (stored, or from the AWS CLI's files) or the environment's AWS identity becomes a
// 12-hour ECR token (README.md beside this file).
import type { Cloud, SourceContext } from '../cloud.js';
import { ACCESS_KEY_ID, isEcrHost } from './hosts.js';

const timeout = (context: SourceContext) => (context.timeoutMs ? { timeoutMs: context.timeoutMs } : {});
const stsEndpoint = (context: SourceContext) => {
  const sts = context.config.awsEndpoints.sts;
  return sts ? { stsEndpoint: sts } : {};
};

export const aws = {
  name: 'aws',
  kinds: {
    // An access key id on an ECR host; `AWS` (a pasted ECR token) stays static.
    'aws-ecr': {
      exchanges: true,
      checked: false,
      verifiedAtLogin: true,
      hostImplies: (serverKey, username) => ACCESS_KEY_ID.test(username) && isEcrHost(serverKey),
      sourceHosts: isEcrHost,
      provider: async () => (await import('./ecr-provider.js')).awsEcrProvider,
    },
  },
  sources: [
    {
      name: 'aws-env',
      notConfigured: ({ config: { identity } }) =>
        identity.aws.accessKeyId || identity.aws.secretAccessKey ? undefined : 'AWS_ACCESS_KEY_ID not set',
      credential: async ({ config }) => (await import('./credential.js')).awsFromEnvironment(config.identity.aws),
    },
    {
      name: 'aws-profile',
      async notConfigured({ config }) {
        if (config.identity.aws.profile) return undefined;
        const { profileSettings } = await import('./profile-source.js');
        return profileSettings(config.awsFiles, 'default') ? undefined : 'AWS_PROFILE not set, no default profile';
      },
      credential: async (context) =>
        (await import('./profile-source.js')).awsFromProfile(
          context.config.identity.aws,
          context.config.awsFiles,
          stsEndpoint(context),
        ),
    },
    {
      name: 'aws-web-identity',
      notConfigured: ({ config: { identity } }) =>
        identity.aws.roleArn && identity.aws.webIdentityTokenFile ? undefined : 'AWS_WEB_IDENTITY_TOKEN_FILE not set',
      credential: async (context) =>
        (await import('./web-identity.js')).awsEnvironmentWebIdentity(context.config.identity.aws, {
          ...stsEndpoint(context),
          ...timeout(context),
        }),
    },
    {
      name: 'aws-instance',
      metadata: true,
      notConfigured: ({ config }) => (config.identity.aws.imdsDisabled ? 'AWS_EC2_METADATA_DISABLED' : undefined),
      credential: async ({ config }) => (await import('./instance-role.js')).awsInstanceRole(config.identity.aws),
    },
  ],
  loginOptions: [
    { flag: 'role-arn', key: 'roleArn', describe: 'AWS: a role to assume with STS before asking ECR' },
    { flag: 'region', key: 'region', describe: 'AWS: the region, for a host that does not name it' },
  ],
  loginImports: [
    {
      flag: 'aws-profile',
      describe: 'AWS: take the access key (and role_arn) from this profile of ~/.aws/credentials and config',
      async read(name, config) {
        const key = (await import('./profile-login.js')).readAwsProfile(name, config.awsFiles);
        const options: Record<string, string> = key.roleArn ? { roleArn: key.roleArn } : {};
        return { username: key.accessKeyId, secret: key.secretAccessKey, options };
      },
    },
  ],
} as const satisfies Cloud;
