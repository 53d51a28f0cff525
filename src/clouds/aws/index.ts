// Amazon ECR: an access key (stored, or from the AWS CLI's files) or the environment's AWS identity becomes a
// 12-hour ECR token (README.md beside this file).
import type { Cloud, SourceContext } from '../cloud.js';
import { ACCESS_KEY_ID, EVERY_ECR_REGISTRY, isEcrHost, servesEveryEcrRegistry, spansEcrRegions } from './hosts.js';

const timeout = (context: SourceContext) => (context.timeoutMs ? { timeoutMs: context.timeoutMs } : {});
const stsEndpoint = (context: SourceContext) => {
  const sts = context.config.awsEndpoints.sts;
  return sts ? { stsEndpoint: sts } : {};
};

const profileOptions = (context: SourceContext) => {
  const sso = context.config.awsEndpoints.sso;
  return {
    ...stsEndpoint(context),
    ...timeout(context),
    ...(sso ? { ssoEndpoint: sso } : {}),
    env: context.config.env,
  };
};

/** The pod's role, as EKS's IAM roles for service accounts names it (kubelet mode, docs/kubernetes.md). */
const ROLE_ANNOTATION = 'eks.amazonaws.com/role-arn';

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
      patternAlsoServes: servesEveryEcrRegistry,
      // An ECR token is for one region; ecr-login keeps one per registry, and so does a pattern across regions.
      tokenPerRegistry: spansEcrRegions,
      provider: async () => (await import('./ecr-provider.js')).awsEcrProvider,
    },
  },
  // In the order of botocore's chain (docs/identity-sources.md): chain-order.ts says when `auto` passes over
  // aws-profile or aws-web-identity, whose steps interleave.
  sources: [
    {
      name: 'aws-env',
      notConfigured: ({ config: { identity } }) =>
        identity.aws.accessKeyId || identity.aws.secretAccessKey ? undefined : 'AWS_ACCESS_KEY_ID not set',
      async credential({ config }) {
        (await import('./shared-files.js')).selectedProfile(config.identity.aws, config.awsFiles); // must exist
        return (await import('./credential.js')).awsFromEnvironment(config.identity.aws);
      },
    },
    {
      name: 'aws-profile',
      notConfigured: async ({ config }) =>
        (await import('./chain-order.js')).profileNotConfigured(config.identity.aws, config.awsFiles),
      credential: async (context) =>
        (await import('./profile-source.js')).awsFromProfile(
          context.config.identity.aws,
          context.config.awsFiles,
          profileOptions(context),
        ),
    },
    {
      name: 'aws-web-identity',
      notConfigured: async ({ config }) =>
        (await import('./chain-order.js')).webIdentityNotConfigured(config.identity.aws, config.awsFiles),
      async credential(context) {
        const { aws } = context.config.identity;
        const profile = (await import('./shared-files.js')).selectedProfile(aws, context.config.awsFiles)?.settings;
        const { awsConfiguredWebIdentity, webIdentitySettings } = await import('./web-identity.js');
        const region = aws.region ?? profile?.get('region');
        return awsConfiguredWebIdentity(webIdentitySettings(aws, profile), {
          ...stsEndpoint(context),
          ...timeout(context),
          ...(region ? { region } : {}),
        });
      },
    },
    {
      name: 'aws-container',
      notConfigured: ({ config: { identity } }) =>
        identity.aws.containerRelativeUri || identity.aws.containerFullUri
          ? undefined
          : 'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI and _FULL_URI not set',
      credential: async ({ config }) => (await import('./container.js')).awsContainer(config.identity.aws),
    },
    {
      name: 'aws-instance',
      metadata: true,
      notConfigured: ({ config }) => (config.identity.aws.imdsDisabled ? 'AWS_EC2_METADATA_DISABLED' : undefined),
      credential: async ({ config }) => (await import('./instance-role.js')).awsInstanceRole(config.identity.aws),
    },
  ],
  // The pod's service-account token is the web identity token of the role its service account names.
  podIdentity: {
    missingAnnotation: (annotations) => (annotations[ROLE_ANNOTATION] ? undefined : ROLE_ANNOTATION),
    async credential(pod, context) {
      const { assumeRoleWithWebIdentity, checkedRoleArn } = await import('./web-identity.js');
      const region = context.options.region ?? context.config.identity.aws.region;
      const roleArn = checkedRoleArn(pod.annotations[ROLE_ANNOTATION]!, `the annotation ${ROLE_ANNOTATION}`);
      return assumeRoleWithWebIdentity(pod.token, {
        roleArn,
        ...stsEndpoint(context),
        ...timeout(context),
        ...(region ? { region } : {}),
      });
    },
  },
  // ECR takes an access key (exchanged here) or the token `aws ecr get-login-password` prints, under `AWS`.
  loginProblem: (serverKey, username) =>
    isEcrHost(serverKey) && !ACCESS_KEY_ID.test(username) && username !== 'AWS'
      ? `an ECR login is an access key id (-u AKIA…/ASIA…) or a pasted ECR token (-u AWS), not the username ` +
        `${JSON.stringify(username.slice(0, 40))}; or log in with --source auto`
      : undefined,
  loginOptions: [
    { flag: 'role-arn', key: 'roleArn', describe: 'AWS: a role to assume with STS before asking ECR' },
    { flag: 'region', key: 'region', describe: 'AWS: the region, for a host that does not name it' },
  ],
  ambientLogin: {
    flag: 'ecr',
    describe: 'map every ECR registry (all regions and partitions, ECR Public) to the AWS identity of the environment',
    pattern: EVERY_ECR_REGISTRY,
    kind: 'aws-ecr',
    clientNote:
      'docker and podman route by exact host: add each private registry with ' +
      '`configure --registry ACCOUNT.dkr.ecr.REGION.amazonaws.com` (the kubelet takes the pattern itself)',
  },
  // ECR Public is the one ECR host known by name (private registries are per account).
  knownHosts: ['public.ecr.aws'],
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
