// `login SERVER`: the management twin of `docker login`, with what docker cannot say:
// the kind, the store, an env variable for CI, host patterns.
import type { Argv } from 'yargs';
import { processContext } from '../credentials/core-context.js';
import { resolve } from 'node:path';
import { UserError } from '../errors.js';
import { isTenantId } from '../clouds/azure/hosts.js';
import { normalizeServer } from '../hosts/normalize.js';
import { assertSafeEndpoint, readCaBundle } from '../http.js';
import { KINDS, STORE_NAMES, type Kind, type StoreName } from '../mapping/types.js';
import { loginKind, sourceKind } from '../clouds/infer-kind.js';
import { KIND_TRAITS } from '../clouds/kind.js';
import { readPassword } from './read-password.js';
import { writeErr } from '../output.js';

const OPTION_KEYS = {
  'iam-endpoint': 'iamEndpoint',
  'api-server': 'apiServer',
  namespace: 'namespace',
  'service-account': 'serviceAccount',
  'ca-file': 'caFile',
  'expiration-seconds': 'expirationSeconds',
  'hub-endpoint': 'hubEndpoint',
  tenant: 'tenant',
  'acr-endpoint': 'acrEndpoint',
  'role-arn': 'roleArn',
  region: 'region',
  'trusted-profile': 'trustedProfile',
  'client-id': 'clientId',
} as const;

/** Provider settings for the mapping entry; endpoints are checked now rather than at the first pull. */
function providerOptions(argv: Record<string, unknown>): Record<string, string> {
  const options: Record<string, string> = {};
  for (const [flag, key] of Object.entries(OPTION_KEYS)) {
    const value = argv[flag];
    if (typeof value === 'string' && value !== '') options[key] = key === 'caFile' ? resolve(value) : value;
  }
  for (const key of ['iamEndpoint', 'apiServer', 'hubEndpoint', 'acrEndpoint'] as const) {
    if (options[key]) assertSafeEndpoint(options[key], `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`);
  }
  if (options.caFile) readCaBundle(options.caFile); // a typo is told now, not at the first pull
  if (options.expirationSeconds !== undefined && !/^\d+$/.test(options.expirationSeconds)) {
    throw new UserError(
      `--expiration-seconds needs a whole number of seconds, not ${JSON.stringify(options.expirationSeconds)}`,
    );
  }
  if (options.tenant !== undefined && !isTenantId(options.tenant)) {
    throw new UserError(`--tenant needs a directory (tenant) id or domain, not ${JSON.stringify(options.tenant)}`);
  }
  if ((options.apiServer === undefined) !== (options.serviceAccount === undefined)) {
    throw new UserError('--api-server and --service-account go together (with --namespace)');
  }
  return options;
}

/** `--aws-profile`: the key comes from the AWS CLI's files, so no secret is typed or piped. */
async function awsProfileLogin(argv: Record<string, unknown>) {
  for (const flag of ['password-stdin', 'secret-env', 'username'] as const) {
    if (argv[flag]) throw new UserError(`--aws-profile brings the access key itself: drop --${flag}`);
  }
  const { readAwsProfile } = await import('../clouds/aws/profile-login.js');
  return readAwsProfile(String(argv['aws-profile']));
}

/** `--source NAME|auto`: nothing is read or stored; one exchange through the source proves it works here. */
async function sourceLogin(argv: Record<string, unknown>, source: string): Promise<void> {
  for (const flag of ['password-stdin', 'secret-env', 'username', 'store', 'aws-profile'] as const) {
    if (argv[flag])
      throw new UserError(`--source takes the identity from the environment and stores nothing: drop --${flag}`);
  }
  const { isSourceName, SOURCE_CLOUDS } = await import('../clouds/sources.js');
  if (source !== 'auto' && !isSourceName(source)) {
    const names = Object.keys(SOURCE_CLOUDS).join(', ');
    throw new UserError(`--source needs one of ${names}, or auto; not ${JSON.stringify(source.slice(0, 60))}`);
  }
  const serverURL = String(argv.server);
  const cloud = isSourceName(source) ? SOURCE_CLOUDS[source] : undefined;
  const kind = sourceKind(normalizeServer(serverURL).key, argv.kind as Kind | undefined, cloud);
  const { storeSourceLogin } = await import('../credentials/store-source-login.js');
  const { entry, answered } = await storeSourceLogin(processContext(), {
    serverURL,
    kind,
    source: isSourceName(source) ? source : 'auto',
    options: providerOptions(argv),
  });
  const picked = source === 'auto' ? `--source auto (${answered.name} answered)` : `the ${answered.name} source`;
  writeErr(
    `Logged in to ${entry.server} (${entry.kind}) with ${picked} as ${answered.identity}; nothing secret is stored.\n`,
  );
}

export function registerLogin(cli: Argv): Argv {
  return cli.command(
    'login <server>',
    'store a login for a registry or host pattern',
    (y) =>
      y
        .positional('server', {
          type: 'string',
          describe: 'registry host (us.icr.io, docker.io, host:port) or pattern (*.icr.io)',
        })
        .option('username', { alias: 'u', type: 'string', describe: 'username (iamapikey for an IBM Cloud API key)' })
        .option('kind', { type: 'string', choices: KINDS, describe: 'what the secret is (inferred when omitted)' })
        .option('store', {
          type: 'string',
          choices: STORE_NAMES,
          describe: 'where the secret lives (default: keychain, or LANYARD_STORE)',
        })
        .option('secret-env', {
          type: 'string',
          describe: 'read the secret from this environment variable at use time (CI)',
        })
        .option('iam-endpoint', {
          type: 'string',
          describe: 'IBM Cloud IAM endpoint (default https://iam.cloud.ibm.com, or LANYARD_IAM_ENDPOINT)',
        })
        .option('api-server', {
          type: 'string',
          describe: 'OpenShift/Kubernetes API server that mints service-account tokens',
        })
        .option('namespace', { type: 'string', describe: 'namespace of the service account (with --api-server)' })
        .option('service-account', {
          type: 'string',
          describe: 'service account to mint bound tokens for (with --api-server)',
        })
        .option('ca-file', { type: 'string', describe: 'PEM CA bundle for the IAM endpoint or the API server' })
        .option('expiration-seconds', {
          type: 'string',
          describe: 'lifetime to request for minted service-account tokens (default 3600, at least 600)',
        })
        .option('hub-endpoint', {
          type: 'string',
          describe: 'Docker Hub API used to check the access token (default https://hub.docker.com)',
        })
        .option('tenant', {
          type: 'string',
          describe: 'Microsoft Entra tenant of the service principal (-u its client id): an Azure ACR login',
        })
        .option('acr-endpoint', {
          type: 'string',
          describe: "where the registry's /oauth2/exchange is served (default https://<registry>)",
        })
        .option('role-arn', { type: 'string', describe: 'AWS: a role to assume with STS before asking ECR' })
        .option('region', { type: 'string', describe: 'AWS: the region, for a host that does not name it' })
        .option('aws-profile', {
          type: 'string',
          describe: 'AWS: take the access key (and role_arn) from this profile of ~/.aws/credentials and config',
        })
        .option('source', {
          type: 'string',
          describe:
            'no stored secret: take the identity from this source (aws-env, aws-profile, aws-web-identity, ' +
            'aws-instance, gcp-adc, gcp-metadata, azure-workload-identity, azure-managed-identity, ' +
            'ibm-trusted-profile, ibm-vpc-instance) or auto',
        })
        .option('trusted-profile', {
          type: 'string',
          describe: 'IBM Cloud: the trusted profile (id Profile-…, name, or CRN) for an ibm-* source',
        })
        .option('client-id', { type: 'string', describe: "Azure: a user-assigned managed identity's client id" })
        .option('password-stdin', { type: 'boolean', default: false, describe: 'read the secret from stdin' })
        .example(
          'echo "$IBMCLOUD_API_KEY" | $0 login us.icr.io -u iamapikey --password-stdin',
          'an IBM Cloud API key for one region',
        )
        .example("$0 login '*.icr.io' -u iamapikey --password-stdin < key.txt", 'one key for every ICR region')
        .example('$0 login ghcr.io -u me --secret-env GHCR_TOKEN', 'CI: the secret comes from the environment')
        .example(
          '$0 login 123456789012.dkr.ecr.us-east-1.amazonaws.com -u AKIA… --password-stdin < secret-key.txt',
          'an AWS access key: ECR tokens for every registry of that region',
        )
        .example(
          'oc whoami -t | $0 login registry.lpg.appuio.cloud -u robot --kind openshift ' +
            '--api-server https://api.lpg.appuio.cloud:6443 --namespace ci --service-account pusher --password-stdin',
          'mint 1-hour bound service-account tokens',
        )
        .example(
          '$0 login myregistry.azurecr.io -u <client id> --tenant <tenant id> --password-stdin < secret.txt',
          'an Azure service principal: ACR refresh tokens (3 h) for every client',
        )
        .example(
          '$0 login 123456789012.dkr.ecr.us-east-1.amazonaws.com --source auto',
          "a node or CI job: the environment's identity, nothing stored",
        ),
    async (argv) => {
      if (argv.source !== undefined) return sourceLogin(argv, argv.source);
      const profile = argv['aws-profile'] !== undefined ? await awsProfileLogin(argv) : undefined;
      const options = { ...(profile?.roleArn ? { roleArn: profile.roleArn } : {}), ...providerOptions(argv) };
      // one of KINDS (yargs checks the choices), or the kind a login-only option marks on this host
      const serverKey = normalizeServer(argv.server!).key;
      const kind = loginKind(serverKey, argv.kind as Kind | undefined, options, argv.username ?? '');
      // Without -u, a key file names its owner (see storeCredential); other logins are refused there.
      const username = profile?.accessKeyId ?? argv.username ?? (kind && KIND_TRAITS[kind].username) ?? '';
      const secretEnv = argv['secret-env'];
      if (secretEnv !== undefined && !/^[A-Za-z_][A-Za-z0-9_]*$/.test(secretEnv))
        throw new UserError(`--secret-env needs a variable name, not ${JSON.stringify(secretEnv)}`);
      const secret =
        profile?.secretAccessKey ?? (secretEnv !== undefined ? '' : await readPassword(argv['password-stdin']));
      if (secretEnv === undefined && secret === '') throw new UserError('the secret is empty');
      const { storeCredential } = await import('../credentials/store-credential.js');
      const entry = await storeCredential(processContext(), {
        serverURL: argv.server!,
        username,
        secret,
        kind,
        store: argv.store as StoreName | undefined,
        secretEnv,
        options,
        verify: secretEnv === undefined,
      });
      writeErr(
        `Stored ${entry.kind} login for ${entry.server} (user ${entry.username}) in the ${entry.store} store.\n`,
      );
    },
  );
}
