// Every setting lanyard takes from its environment, read in one place, typed, with its default.
// `loadConfig(env)` is pure, so tests build a configuration from any environment; the program uses
// `processConfig()`, read once. docs/environment.md's table lists exactly the names read here
// (test/unit/config.test.ts keeps the two in step).
import { homedir, userInfo } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { configHome, lanyardPaths, type LanyardPaths } from './paths.js';
import { hostPlatform, type Platform } from './platform.js';

export type Environment = Readonly<Record<string, string | undefined>>;

export const STORE_NAMES = ['keychain', 'file', 'env'] as const;
export type StoreName = (typeof STORE_NAMES)[number];
export const isStoreName = (value: unknown): value is StoreName => STORE_NAMES.includes(value as StoreName);

/** Where docker and the containers tools (podman, buildah, skopeo) keep their auth files. */
export interface ClientConfigFiles {
  /** `$DOCKER_CONFIG/config.json`, else `~/.docker/config.json`. */
  dockerConfig: string;
  /** containers' auth files, most significant first (docs/wire-formats.md#podman-buildah-and-skopeo). */
  containersAuth: string[];
  /** Every file podman reads, in order: its own auth files, then docker's (not when REGISTRY_AUTH_FILE is set). */
  containersSearch: string[];
  /** REGISTRY_AUTH_FILE is set: it replaces containers' whole search, docker's file included. */
  registryAuthFileSet: boolean;
}

export interface Config {
  /** The environment itself: the env store reads variables by the names the mapping gives. */
  env: Environment;
  /** The OS whose conventions apply (platform.ts): paths, stores, the daemon's socket and service. */
  platform: Platform;
  paths: LanyardPaths;
  clientFiles: ClientConfigFiles;
  /** Where systemd looks for user units, and launchd for user agents (`daemon install`). */
  systemdUserDir: string;
  launchAgentsDir: string;
  /** LANYARD_STORE: the store for new secrets, when set and valid. */
  store?: StoreName;
  /** LANYARD_STORE was set to something else: a store operation must refuse it, not guess. */
  invalidStore?: string;
  /** LANYARD_IAM_ENDPOINT / LANYARD_HUB_ENDPOINT: service endpoints when a login names none. */
  iamEndpoint?: string;
  hubEndpoint?: string;
  /** AZURE_AUTHORITY_HOST (as the Azure Identity libraries read it): Microsoft Entra's host for ACR logins. */
  azureAuthorityHost?: string;
  /** LANYARD_HUB_CHECK_INTERVAL_S: how often the daemon checks Docker Hub tokens (default 6 h). */
  hubCheckIntervalMs: number;
  /** LANYARD_KEYCHAIN_TIMEOUT_MS: how long the session bus may take to answer (default 5 s). */
  keychainTimeoutMs: number;
  /** DBUS_SESSION_BUS_ADDRESS, where the Secret Service is reached. */
  sessionBusAddress?: string;
  /** LANYARD_DEBUG=1: debug lines in the log. */
  debug: boolean;
  /** LANYARD_LOG_STDERR=1: log lines also on stderr (for watching the daemon in a terminal). */
  logToStderr: boolean;
  /** LANYARD_TTY=0 turns off the terminal notice of a failed `get`. */
  terminalNotice: boolean;
  /** LANYARD_AGENT=0: `get` does not ask the daemon for static secrets, and the daemon holds none. */
  agent: boolean;
  /** LANYARD_AGENT_IDLE_S: how long the daemon keeps a static secret nobody asks for (default 15 min). */
  agentIdleMs: number;
  /** LANYARD_AGENT_AUTOSTART=0: a `get` never starts the daemon on demand (one already running still answers). */
  agentAutostart: boolean;
  /** CI set to anything but `false` or `0`: a CI job, where a `get` never starts a daemon that would outlive it. */
  ci: boolean;
  /** LANYARD_DAEMON_IDLE_S: how long a daemon started on demand runs without a `get` (default 30 min). */
  daemonIdleMs: number;
  /** LANYARD_TRACE=1: per-phase timings of one `get` on stderr. */
  trace: boolean;
  /** Settings given a value that could not be used, with the default taken instead (for the log). */
  problems: string[];
  /** AWS_ENDPOINT_URL_<SERVICE>, else AWS_ENDPOINT_URL: AWS API endpoints replacing the regional defaults. */
  awsEndpoints: AwsEndpoints;
  /** The AWS CLI's files, read by `login --aws-profile` and the aws-profile source; `ssoCache`: its SSO tokens. */
  awsFiles: { credentials: string; config: string; ssoCache: string };
  /** Each cloud's own variables for the identity sources (`login --source`), as its SDKs read them. */
  identity: IdentityConfig;
}

export interface AwsEndpoints {
  ecr?: string;
  ecrPublic?: string;
  sts?: string;
  /** IAM Identity Center's portal (GetRoleCredentials), for SSO profiles. */
  sso?: string;
}

export const DEFAULT_HUB_CHECK_INTERVAL_S = 6 * 3600;
export const DEFAULT_KEYCHAIN_TIMEOUT_MS = 5000;
export const DEFAULT_AGENT_IDLE_S = 15 * 60;
export const DEFAULT_DAEMON_IDLE_S = 30 * 60;

/** CI=true, CI=1, CI=woodpecker…; `CI=false` (a common way to turn CI behaviour off) and `CI=0` are not CI. */
const isCI = (value: string | undefined) => value !== undefined && !['', 'false', '0'].includes(value.toLowerCase());

const nonEmpty = (value: string | undefined) => (value === undefined || value === '' ? undefined : value);

/** A positive number from a setting, else the default with a problem noted: NaN would stop timers for good. */
function positiveNumber(env: Environment, name: string, fallback: number, problems: string[]): number {
  const text = nonEmpty(env[name]);
  if (text === undefined) return fallback;
  const value = Number(text);
  if (Number.isFinite(value) && value > 0) return value;
  problems.push(`${name}=${JSON.stringify(text.slice(0, 40))} is not a positive number; using ${fallback}`);
  return fallback;
}

function clientFiles(env: Environment, platform: Platform, home: string): ClientConfigFiles {
  const dockerConfig = join(nonEmpty(env.DOCKER_CONFIG) ?? join(home, '.docker'), 'config.json');
  const authFile = nonEmpty(env.REGISTRY_AUTH_FILE);
  if (authFile) {
    return { dockerConfig, containersAuth: [authFile], containersSearch: [authFile], registryAuthFileSet: true };
  }
  const containersAuth: string[] = [];
  if (platform === 'linux') {
    const runtimeDir = nonEmpty(env.XDG_RUNTIME_DIR);
    containersAuth.push(
      runtimeDir
        ? join(runtimeDir, 'containers', 'auth.json')
        : join('/run/containers', String(process.getuid?.() ?? 0), 'auth.json'),
    );
  }
  containersAuth.push(join(configHome(env, home), 'containers', 'auth.json'));
  const containersSearch = [...containersAuth, dockerConfig];
  return { dockerConfig, containersAuth, containersSearch, registryAuthFileSet: false };
}

/** The SDKs' rule: the service's own variable wins over the global one; both off with the ignore switch. */
function awsEndpoints(env: Environment): AwsEndpoints {
  if (env.AWS_IGNORE_CONFIGURED_ENDPOINT_URLS?.toLowerCase() === 'true') return {};
  const all = nonEmpty(env.AWS_ENDPOINT_URL);
  const ecr = nonEmpty(env.AWS_ENDPOINT_URL_ECR) ?? all;
  const ecrPublic = nonEmpty(env.AWS_ENDPOINT_URL_ECR_PUBLIC) ?? all;
  const sts = nonEmpty(env.AWS_ENDPOINT_URL_STS) ?? all;
  const sso = nonEmpty(env.AWS_ENDPOINT_URL_SSO) ?? all;
  return defined({ ecr, ecrPublic, sts, sso });
}

function awsFiles(env: Environment, home: string): Config['awsFiles'] {
  return {
    credentials: nonEmpty(env.AWS_SHARED_CREDENTIALS_FILE) ?? join(home, '.aws', 'credentials'),
    config: nonEmpty(env.AWS_CONFIG_FILE) ?? join(home, '.aws', 'config'),
    ssoCache: join(home, '.aws', 'sso', 'cache'),
  };
}

/**
 * HOME as the user's shell has it; a relative or empty one is no home (every path would move with the working
 * directory of whichever client ran the helper): then the account's own, from the password database.
 */
function homeDir(env: Environment, platform: Platform): string {
  const home = platform === 'win32' ? undefined : nonEmpty(env.HOME);
  if (home && isAbsolute(home)) return home;
  const own = homedir();
  if (isAbsolute(own)) return own;
  try {
    return userInfo().homedir;
  } catch {
    return own; // no account entry either (an arbitrary uid in a container): nothing better to go on
  }
}

export function loadConfig(env: Environment, platform: Platform = hostPlatform()): Config {
  const home = homeDir(env, platform);
  const problems: string[] = [];
  const store = nonEmpty(env.LANYARD_STORE);
  const iamEndpoint = nonEmpty(env.LANYARD_IAM_ENDPOINT);
  const hubEndpoint = nonEmpty(env.LANYARD_HUB_ENDPOINT);
  const azureAuthorityHost = nonEmpty(env.AZURE_AUTHORITY_HOST);
  const sessionBusAddress = nonEmpty(env.DBUS_SESSION_BUS_ADDRESS);
  const hubCheckS = positiveNumber(env, 'LANYARD_HUB_CHECK_INTERVAL_S', DEFAULT_HUB_CHECK_INTERVAL_S, problems);
  return {
    env,
    platform,
    paths: lanyardPaths(env, platform, home, process.getuid?.() ?? 0),
    clientFiles: clientFiles(env, platform, home),
    systemdUserDir: join(configHome(env, home), 'systemd', 'user'),
    launchAgentsDir: join(home, 'Library', 'LaunchAgents'),
    ...(store === undefined ? {} : isStoreName(store) ? { store } : { invalidStore: store }),
    ...(iamEndpoint ? { iamEndpoint } : {}),
    ...(hubEndpoint ? { hubEndpoint } : {}),
    ...(azureAuthorityHost ? { azureAuthorityHost } : {}),
    hubCheckIntervalMs: hubCheckS * 1000,
    keychainTimeoutMs: positiveNumber(env, 'LANYARD_KEYCHAIN_TIMEOUT_MS', DEFAULT_KEYCHAIN_TIMEOUT_MS, problems),
    ...(sessionBusAddress ? { sessionBusAddress } : {}),
    debug: env.LANYARD_DEBUG === '1',
    logToStderr: env.LANYARD_LOG_STDERR === '1',
    terminalNotice: env.LANYARD_TTY !== '0',
    agent: env.LANYARD_AGENT !== '0',
    agentIdleMs: positiveNumber(env, 'LANYARD_AGENT_IDLE_S', DEFAULT_AGENT_IDLE_S, problems) * 1000,
    agentAutostart: env.LANYARD_AGENT_AUTOSTART !== '0',
    ci: isCI(env.CI),
    daemonIdleMs: positiveNumber(env, 'LANYARD_DAEMON_IDLE_S', DEFAULT_DAEMON_IDLE_S, problems) * 1000,
    trace: env.LANYARD_TRACE === '1',
    problems,
    awsEndpoints: awsEndpoints(env),
    awsFiles: awsFiles(env, home),
    identity: identityConfig(env, platform, home, problems),
  };
}

let current: Config | undefined;

/** This process's configuration, read from its environment on first use. */
export function processConfig(): Config {
  current ??= loadConfig(process.env);
  return current;
}

// ---- identity sources (docs/wire-identities.md) ----------------------------------------------------------------
// The clouds' standard variables, so a node or CI job configured for the cloud's own SDKs works unchanged. The AWS
// shared-file paths, AWS_ENDPOINT_URL_STS and AZURE_AUTHORITY_HOST are the aws-ecr and azure-acr settings: the
// sources take them as arguments rather than reading them twice.

export interface AwsIdentityConfig {
  /** AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN. */
  accessKeyId?: string;
  secretAccessKey?: string;
  sessionToken?: string;
  /** AWS_PROFILE, else AWS_DEFAULT_PROFILE: the shared-config profile (default `default`). */
  profile?: string;
  /** The variable that named `profile`, for the line that says it does not exist. */
  profileVariable?: 'AWS_PROFILE' | 'AWS_DEFAULT_PROFILE';
  /** AWS_REGION, else AWS_DEFAULT_REGION: picks the regional STS endpoint. */
  region?: string;
  /** AWS_ROLE_ARN + AWS_WEB_IDENTITY_TOKEN_FILE (+ AWS_ROLE_SESSION_NAME): web identity (EKS IRSA, CI OIDC). */
  roleArn?: string;
  webIdentityTokenFile?: string;
  roleSessionName?: string;
  /** AWS_EC2_METADATA_SERVICE_ENDPOINT / _ENDPOINT_MODE (IPv4, IPv6): where IMDS is. */
  imdsEndpoint?: string;
  imdsEndpointMode?: string;
  /** AWS_EC2_METADATA_DISABLED=true: never ask IMDS. */
  imdsDisabled: boolean;
  /** AWS_CONTAINER_CREDENTIALS_RELATIVE_URI / _FULL_URI: the ECS or EKS Pod Identity credentials endpoint. */
  containerRelativeUri?: string;
  containerFullUri?: string;
  /** LANYARD_AWS_CONTAINER_ENDPOINT: where a RELATIVE_URI goes instead of http://169.254.170.2 (tests, proxies). */
  containerEndpoint?: string;
  /** AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE (read at each use; wins), else AWS_CONTAINER_AUTHORIZATION_TOKEN. */
  containerTokenFile?: string;
  containerToken?: string;
  /** LANYARD_AWS_PROCESS_TIMEOUT_S: how long a profile's credential_process may run (default 30 s). */
  processTimeoutMs: number;
}

export interface GoogleIdentityConfig {
  /** GOOGLE_APPLICATION_CREDENTIALS: an ADC file (service account or authorized user). */
  applicationCredentials?: string;
  /** gcloud's configuration folder (CLOUDSDK_CONFIG, else ~/.config/gcloud, %APPDATA%/gcloud on Windows). */
  gcloudConfigDir: string;
  /** GCE_METADATA_HOST: `host[:port]` of the metadata server (default 169.254.169.254, metadata.google.internal). */
  metadataHost?: string;
  /** GOOGLE_EXTERNAL_ACCOUNT_ALLOW_EXECUTABLES=1: an external_account file may run its credential_source command. */
  allowExecutables: boolean;
  /** LANYARD_GOOGLE_STS_URL: Google STS's token exchange for a pod's identity (default Google's own). */
  stsUrl?: string;
  /** LANYARD_GOOGLE_IAM_CREDENTIALS_ENDPOINT: IAM Credentials for a pod's service account (default Google's own). */
  iamCredentialsEndpoint?: string;
}

export interface AzureIdentityConfig {
  /** AZURE_FEDERATED_TOKEN_FILE + AZURE_CLIENT_ID + AZURE_TENANT_ID: workload identity (set by the AKS webhook). */
  federatedTokenFile?: string;
  clientId?: string;
  tenantId?: string;
  /** AZURE_CLIENT_SECRET (+ AZURE_CLIENT_ID, AZURE_TENANT_ID): a service principal's secret in the environment. */
  clientSecret?: string;
  /** AZURE_CLIENT_CERTIFICATE_PATH (PEM or PKCS#12) and its AZURE_CLIENT_CERTIFICATE_PASSWORD: its certificate. */
  clientCertificatePath?: string;
  clientCertificatePassword?: string;
  /** IDENTITY_ENDPOINT + IDENTITY_HEADER: App Service / Container Apps managed identity. */
  identityEndpoint?: string;
  identityHeader?: string;
  /** AZURE_POD_IDENTITY_AUTHORITY_HOST: moves the instance metadata service (default http://169.254.169.254). */
  imdsEndpoint?: string;
}

export interface IbmIdentityConfig {
  /** LANYARD_IBM_CR_TOKEN_FILE: the compute-resource token file, when not at one of the platforms' paths. */
  crTokenFile?: string;
  /** LANYARD_IBM_METADATA_ENDPOINT: the VPC metadata service (default http://169.254.169.254). */
  metadataEndpoint?: string;
}

export interface IdentityConfig {
  aws: AwsIdentityConfig;
  google: GoogleIdentityConfig;
  azure: AzureIdentityConfig;
  ibm: IbmIdentityConfig;
}

/** Only set values: `{ key: undefined }` would read as "given" to a spread. */
const defined = <T extends object>(record: T): T =>
  Object.fromEntries(Object.entries(record).filter(([, value]) => value !== undefined)) as T;

export const DEFAULT_AWS_PROCESS_TIMEOUT_S = 30;

function awsIdentity(env: Environment, problems: string[]): AwsIdentityConfig {
  const profileVariable = nonEmpty(env.AWS_PROFILE)
    ? 'AWS_PROFILE'
    : nonEmpty(env.AWS_DEFAULT_PROFILE)
      ? 'AWS_DEFAULT_PROFILE'
      : undefined;
  const processTimeoutS = positiveNumber(env, 'LANYARD_AWS_PROCESS_TIMEOUT_S', DEFAULT_AWS_PROCESS_TIMEOUT_S, problems);
  return defined({
    accessKeyId: nonEmpty(env.AWS_ACCESS_KEY_ID),
    secretAccessKey: nonEmpty(env.AWS_SECRET_ACCESS_KEY),
    sessionToken: nonEmpty(env.AWS_SESSION_TOKEN),
    profile: profileVariable && env[profileVariable],
    profileVariable,
    region: nonEmpty(env.AWS_REGION) ?? nonEmpty(env.AWS_DEFAULT_REGION),
    roleArn: nonEmpty(env.AWS_ROLE_ARN),
    webIdentityTokenFile: nonEmpty(env.AWS_WEB_IDENTITY_TOKEN_FILE),
    roleSessionName: nonEmpty(env.AWS_ROLE_SESSION_NAME),
    imdsEndpoint: nonEmpty(env.AWS_EC2_METADATA_SERVICE_ENDPOINT),
    imdsEndpointMode: nonEmpty(env.AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE),
    imdsDisabled: env.AWS_EC2_METADATA_DISABLED?.toLowerCase() === 'true',
    containerRelativeUri: nonEmpty(env.AWS_CONTAINER_CREDENTIALS_RELATIVE_URI),
    containerFullUri: nonEmpty(env.AWS_CONTAINER_CREDENTIALS_FULL_URI),
    containerEndpoint: nonEmpty(env.LANYARD_AWS_CONTAINER_ENDPOINT),
    containerTokenFile: nonEmpty(env.AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE),
    containerToken: nonEmpty(env.AWS_CONTAINER_AUTHORIZATION_TOKEN),
    processTimeoutMs: processTimeoutS * 1000,
  });
}

function identityConfig(env: Environment, platform: Platform, home: string, problems: string[]): IdentityConfig {
  const gcloudHome =
    platform === 'win32' ? join(nonEmpty(env.APPDATA) ?? home, 'gcloud') : join(home, '.config', 'gcloud');
  return {
    aws: awsIdentity(env, problems),
    google: defined({
      applicationCredentials: nonEmpty(env.GOOGLE_APPLICATION_CREDENTIALS),
      gcloudConfigDir: nonEmpty(env.CLOUDSDK_CONFIG) ?? gcloudHome,
      metadataHost: nonEmpty(env.GCE_METADATA_HOST),
      allowExecutables: env.GOOGLE_EXTERNAL_ACCOUNT_ALLOW_EXECUTABLES === '1',
      stsUrl: nonEmpty(env.LANYARD_GOOGLE_STS_URL),
      iamCredentialsEndpoint: nonEmpty(env.LANYARD_GOOGLE_IAM_CREDENTIALS_ENDPOINT),
    }),
    azure: defined({
      federatedTokenFile: nonEmpty(env.AZURE_FEDERATED_TOKEN_FILE),
      clientId: nonEmpty(env.AZURE_CLIENT_ID),
      tenantId: nonEmpty(env.AZURE_TENANT_ID),
      clientSecret: nonEmpty(env.AZURE_CLIENT_SECRET),
      clientCertificatePath: nonEmpty(env.AZURE_CLIENT_CERTIFICATE_PATH),
      clientCertificatePassword: nonEmpty(env.AZURE_CLIENT_CERTIFICATE_PASSWORD),
      identityEndpoint: nonEmpty(env.IDENTITY_ENDPOINT),
      identityHeader: nonEmpty(env.IDENTITY_HEADER),
      imdsEndpoint: nonEmpty(env.AZURE_POD_IDENTITY_AUTHORITY_HOST),
    }),
    ibm: defined({
      crTokenFile: nonEmpty(env.LANYARD_IBM_CR_TOKEN_FILE),
      metadataEndpoint: nonEmpty(env.LANYARD_IBM_METADATA_ENDPOINT),
    }),
  };
}
