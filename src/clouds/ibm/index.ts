// IBM Cloud Container Registry: an API key or refresh token (stored) or a trusted profile becomes a 60-minute
// IAM access token, answered as `iambearer` (README.md beside this file).
import type { Cloud, SourceContext } from '../cloud.js';
import { ICR_DOMAINS } from './hosts.js';

/** IBM Cloud Container Registry: icr.io and its regional and private hosts (host patterns too). */
const isIcrHost = (serverKey: string) => /(?:^|\.)icr\.io(?::\d+)?$/.test(serverKey);

/** `*.icr.io` is how people say "every ICR host": global, regional and private, under one IAM account. */
const icrDomainPattern = (patternKey: string, serverKey: string) =>
  patternKey === '*.icr.io' && /^(?:[a-z0-9-]+\.){0,2}icr\.io$/.test(serverKey);

/** An IBM trusted profile by id (`Profile-…`), by CRN (`crn:…`), or else by name. */
function profileNamed(value: string): { profileId?: string; profileName?: string; profileCrn?: string } {
  if (value.startsWith('Profile-')) return { profileId: value };
  return value.startsWith('crn:') ? { profileCrn: value } : { profileName: value };
}

/** `--trusted-profile`, read as `profileNamed` says. */
const trustedProfile = ({ options }: SourceContext) =>
  options.trustedProfile === undefined ? {} : profileNamed(options.trustedProfile);

/** The IAM endpoint of the login, else LANYARD_IAM_ENDPOINT, and the caller's deadline. */
function iamRequest({ options, config, timeoutMs }: SourceContext) {
  const iamEndpoint = options.iamEndpoint ?? config.iamEndpoint;
  return { ...(iamEndpoint ? { iamEndpoint } : {}), ...(timeoutMs ? { timeoutMs } : {}) };
}

/** The pod's trusted profile (kubelet mode; IBM has no such annotation of its own: docs/kubernetes.md). */
const PROFILE_ANNOTATION = 'iam.cloud.ibm.com/trusted-profile';

export const ibm = {
  name: 'ibm',
  kinds: {
    'ibm-iam': {
      exchanges: true,
      checked: false,
      // A key is checked with one exchange before `login` stores it (`store`, from `docker login`, is not: the
      // client checked it with the registry, and must work while IAM is away).
      verifiedAtLogin: true,
      username: 'iamapikey',
      patternAlsoServes: icrDomainPattern,
      sourceHosts: isIcrHost,
      provider: async () => (await import('./ibm-iam.js')).ibmIamProvider,
    },
    'iam-refresh': {
      exchanges: true,
      checked: false,
      username: 'iamrefresh',
      patternAlsoServes: icrDomainPattern,
      provider: async () => (await import('./iam-refresh.js')).iamRefreshProvider,
    },
  },
  sources: [
    {
      name: 'ibm-trusted-profile',
      async notConfigured(context) {
        if (context.options.trustedProfile === undefined) return 'no trusted profile named';
        const { crTokenPath } = await import('./sources.js');
        return crTokenPath(context.config.identity.ibm) ? undefined : 'no compute-resource token file';
      },
      credential: async (context) =>
        (await import('./sources.js')).ibmTrustedProfile(context.config.identity.ibm, {
          ...trustedProfile(context),
          ...iamRequest(context),
        }),
    },
    {
      name: 'ibm-vpc-instance',
      metadata: true,
      async credential(context) {
        const { profileId, profileCrn } = trustedProfile(context);
        return (await import('./sources.js')).ibmVpcInstance(context.config.identity.ibm, {
          ...(profileId ? { profileId } : {}),
          ...(profileCrn ? { profileCrn } : {}),
        });
      },
    },
  ],
  // The pod's service-account token is a compute-resource token, as IKS and OpenShift on IBM Cloud project one.
  podIdentity: {
    missingAnnotation: (annotations) => (annotations[PROFILE_ANNOTATION] ? undefined : PROFILE_ANNOTATION),
    async credential(pod, context) {
      // By id, CRN or name, as IAM's cr-token grant takes it (profile_id, profile_crn, profile_name).
      return (await import('./sources.js')).crTokenGrant(pod.token, {
        ...profileNamed(pod.annotations[PROFILE_ANNOTATION]!),
        ...iamRequest(context),
      });
    },
  },
  loginOptions: [
    {
      flag: 'iam-endpoint',
      key: 'iamEndpoint',
      describe: 'IBM Cloud IAM endpoint (default https://iam.cloud.ibm.com, or LANYARD_IAM_ENDPOINT)',
      endpoint: true,
    },
    {
      flag: 'trusted-profile',
      key: 'trustedProfile',
      describe: 'IBM Cloud: the trusted profile (id Profile-…, name, or CRN) for an ibm-* source',
    },
  ],
  knownHosts: ICR_DOMAINS,
} as const satisfies Cloud;
