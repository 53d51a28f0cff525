// `login SERVER`: the management twin of `docker login`, with what docker cannot say:
// the kind, the store, an env variable for CI, host patterns.
import type { Argv } from 'yargs';
import type { CommandContext } from '../credentials/core-context.js';
import { resolve } from 'node:path';
import { UserError } from '../errors.js';
import { normalizeServer } from '../hosts/normalize.js';
import { assertSafeEndpoint, readCaBundle } from '../http.js';
import { KINDS, STORE_NAMES, type Kind, type StoreName } from '../mapping/types.js';
import { loginKind, sourceKind } from '../clouds/infer-kind.js';
import type { LoginOption } from '../clouds/cloud.js';
import {
  isSourceName,
  KIND_TRAITS,
  LOGIN_IMPORTS,
  LOGIN_OPTIONS,
  optionsProblem,
  SOURCE_CLOUDS,
  SOURCE_NAMES,
} from '../clouds/registry.js';
import { readPassword } from './read-password.js';

/** The one option every cloud's token endpoint may need: a private CA. */
const CA_FILE_OPTION: LoginOption = {
  flag: 'ca-file',
  key: 'caFile',
  describe: 'PEM CA bundle for the IAM endpoint or the API server',
};

/** The clouds' own `login` flags, as yargs options. */
function cloudFlags(): Record<string, { type: 'string'; describe: string }> {
  return Object.fromEntries(
    [...LOGIN_OPTIONS, ...LOGIN_IMPORTS].map(({ flag, describe }) => [flag, { type: 'string', describe }]),
  );
}

/** Provider settings for the mapping entry; endpoints are checked now rather than at the first pull. */
function providerOptions(argv: Record<string, unknown>): Record<string, string> {
  const options: Record<string, string> = {};
  for (const option of [CA_FILE_OPTION, ...LOGIN_OPTIONS]) {
    const value = argv[option.flag];
    if (typeof value !== 'string' || value === '') continue;
    options[option.key] = option === CA_FILE_OPTION ? resolve(value) : value;
    if (option.endpoint) assertSafeEndpoint(value, `--${option.flag}`);
    const problem = option.problem?.(value);
    if (problem) throw new UserError(problem);
  }
  if (options.caFile) readCaBundle(options.caFile); // a typo is told now, not at the first pull
  const problem = optionsProblem(options);
  if (problem) throw new UserError(problem);
  return options;
}

/** A flag such as `--aws-profile`: the login comes from where the cloud's CLI keeps it, so nothing is piped. */
async function importedLogin(argv: LoginFlags, context: CommandContext) {
  const given = LOGIN_IMPORTS.find((login) => argv[login.flag] !== undefined);
  if (!given) return undefined;
  for (const flag of ['password-stdin', 'secret-env', 'username'] as const) {
    if (argv[flag]) throw new UserError(`--${given.flag} brings the access key itself: drop --${flag}`);
  }
  return given.read(String(argv[given.flag]), context.config);
}

/** `--source NAME|auto`: nothing is read or stored; one exchange through the source proves it works here. */
async function sourceLogin(argv: LoginFlags, source: string, context: CommandContext): Promise<void> {
  for (const flag of ['password-stdin', 'secret-env', 'username', 'store', ...LOGIN_IMPORTS.map((l) => l.flag)]) {
    if (argv[flag])
      throw new UserError(`--source takes the identity from the environment and stores nothing: drop --${flag}`);
  }
  if (source !== 'auto' && !isSourceName(source)) {
    const names = SOURCE_NAMES.join(', ');
    throw new UserError(`--source needs one of ${names}, or auto; not ${JSON.stringify(source.slice(0, 60))}`);
  }
  const serverURL = argv.server;
  const cloud = isSourceName(source) ? SOURCE_CLOUDS[source] : undefined;
  const kind = sourceKind(normalizeServer(serverURL).key, stringFlag(argv, 'kind') as Kind | undefined, cloud);
  const { storeSourceLogin } = await import('../credentials/store-source-login.js');
  const { entry, answered } = await storeSourceLogin(context, {
    serverURL,
    kind,
    source: isSourceName(source) ? source : 'auto',
    options: providerOptions(argv),
  });
  const picked = source === 'auto' ? `--source auto (${answered.name} answered)` : `the ${answered.name} source`;
  context.err(
    `Logged in to ${entry.server} (${entry.kind}) with ${picked} as ${answered.identity}; nothing secret is stored.\n`,
  );
  // As `aws configure list` does: which sources came first in the cloud's order, and why they did not answer.
  for (const reason of answered.passedOver) context.err(`  not used: ${reason}\n`);
}

/** `login`'s flags as given: lanyard's own and every cloud's (registry.ts), by flag name. */
export type LoginFlags = Readonly<Record<string, unknown>> & { server: string };

const stringFlag = (argv: LoginFlags, flag: string) => (typeof argv[flag] === 'string' ? argv[flag] : undefined);

export async function runLogin(argv: LoginFlags, context: CommandContext): Promise<void> {
  if (typeof argv.source === 'string') return sourceLogin(argv, argv.source, context);
  const imported = await importedLogin(argv, context);
  const options = { ...imported?.options, ...providerOptions(argv) };
  // one of KINDS (yargs checks the choices), or the kind a login-only option marks on this host
  const serverKey = normalizeServer(argv.server).key;
  const given = stringFlag(argv, 'username');
  const kind = loginKind(serverKey, stringFlag(argv, 'kind') as Kind | undefined, options, given ?? '');
  // Without -u, a key file names its owner (see storeCredential); other logins are refused there.
  const username = imported?.username ?? given ?? (kind && KIND_TRAITS[kind].username) ?? '';
  const secretEnv = stringFlag(argv, 'secret-env');
  if (secretEnv !== undefined && !/^[A-Za-z_][A-Za-z0-9_]*$/.test(secretEnv))
    throw new UserError(`--secret-env needs a variable name, not ${JSON.stringify(secretEnv)}`);
  const secret =
    imported?.secret ?? (secretEnv !== undefined ? '' : await readPassword(argv['password-stdin'] === true));
  if (secretEnv === undefined && secret === '') throw new UserError('the secret is empty');
  const { storeCredential } = await import('../credentials/store-credential.js');
  const entry = await storeCredential(context, {
    serverURL: argv.server,
    username,
    secret,
    kind,
    store: stringFlag(argv, 'store') as StoreName | undefined,
    secretEnv,
    options,
    verify: secretEnv === undefined,
  });
  context.err(`Stored ${entry.kind} login for ${entry.server} (user ${entry.username}) in the ${entry.store} store.\n`);
}

export function registerLogin(cli: Argv, context: CommandContext): Argv {
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
        .option('source', {
          type: 'string',
          describe: `no stored secret: take the identity from this source (${SOURCE_NAMES.join(', ')}) or auto`,
        })
        .option(CA_FILE_OPTION.flag, { type: 'string', describe: CA_FILE_OPTION.describe })
        .options(cloudFlags())
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
    (argv) => runLogin({ ...argv, server: argv.server! }, context),
  );
}
