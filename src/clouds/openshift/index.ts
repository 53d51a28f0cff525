// OpenShift and Kubernetes registries: a service-account token, passed through or used to mint short-lived
// bound tokens with the TokenRequest API (README.md beside this file).
import type { Cloud } from '../cloud.js';

const OPENSHIFT_REGISTRY_HOSTS = [
  /^registry\.[a-z0-9-]+\.appuio\.cloud$/, // APPUiO Cloud zones
  /^default-route-openshift-image-registry\.apps\./, // the registry's default external route
  /^image-registry\.openshift-image-registry\.svc(?:\.cluster\.local)?(?::\d+)?$/, // in-cluster service
];

export const openshift = {
  name: 'openshift',
  kinds: {
    openshift: {
      exchanges: true,
      checked: false,
      hostImplies: (serverKey) => OPENSHIFT_REGISTRY_HOSTS.some((pattern) => pattern.test(serverKey)),
      provider: async () => (await import('./provider.js')).openshiftProvider,
    },
  },
  loginOptions: [
    {
      flag: 'api-server',
      key: 'apiServer',
      describe: 'OpenShift/Kubernetes API server that mints service-account tokens',
      endpoint: true,
    },
    { flag: 'namespace', key: 'namespace', describe: 'namespace of the service account (with --api-server)' },
    {
      flag: 'service-account',
      key: 'serviceAccount',
      describe: 'service account to mint bound tokens for (with --api-server)',
    },
    {
      flag: 'expiration-seconds',
      key: 'expirationSeconds',
      describe: 'lifetime to request for minted service-account tokens (default 3600, at least 600)',
      problem: (value) =>
        /^\d+$/.test(value)
          ? undefined
          : `--expiration-seconds needs a whole number of seconds, not ${JSON.stringify(value)}`,
    },
  ],
  optionsProblem: (options) =>
    (options.apiServer === undefined) !== (options.serviceAccount === undefined)
      ? '--api-server and --service-account go together (with --namespace)'
      : undefined,
} as const satisfies Cloud;
