// An AWS access key (username: the access key id; secret: the secret access key), optionally used to assume a
// role, becomes an ECR authorization token answered as `AWS` + password (docs/wire-clouds.md §1): the key never
// reaches a client. The registry host names region and partition; ECR Public always calls us-east-1.
import type { Config } from '../../config.js';
import { UserError } from '../../errors.js';
import { quoted, registerSecret } from '../../foreign-text.js';
import {
  ACCESS_KEY_ID,
  apiSuffixOfRegion,
  ECR_PUBLIC_REGION,
  type EcrRegistryHost,
  ecrRegistryHost,
  isEcrPublicHost,
  REGION_NAME,
} from './hosts.js';
import { assertSafeEndpoint } from '../../http.js';
import type { LoginEntry } from '../provider.js';
import type { AwsCredential, RoleToAssume } from './credential.js';
import { type AwsApi, type AwsCredentials, assumeRole, getAuthorizationToken } from './aws-client.js';
import { credentialOf, type IssueContext, type IssuedCredential, type Provider } from '../provider.js';

const ROLE_ARN = /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/;

/** Where one entry's exchange goes: the region (and partition) its host names, or its `region` option. */
interface EcrTarget {
  isPublic: boolean;
  region: string;
  apiSuffix: string;
  fips: boolean;
}

/** Where a check of a pattern across regions asks, per partition (API domain), unless AWS_REGION is in it. */
const CHECK_REGION_OF_PARTITION: Readonly<Record<string, string>> = {
  'amazonaws.com': 'us-east-1',
  'amazonaws.com.cn': 'cn-north-1',
  'amazonaws.eu': 'eusc-de-east-1',
  'c2s.ic.gov': 'us-iso-east-1',
  'sc2s.sgov.gov': 'us-isob-east-1',
  'cloud.adc-e.uk': 'eu-isoe-west-1',
  'csp.hci.ic.gov': 'us-isof-south-1',
};

/**
 * A pattern across regions is exchanged for itself only to check a login (login, doctor): a `get` exchanges for
 * the registry asked for (`tokenPerRegistry`). The check asks in AWS_REGION when that is in the pattern's
 * partition, else in the partition's first region.
 */
function checkTarget(entry: LoginEntry, registry: EcrRegistryHost, config: Config): EcrTarget {
  if (entry.options?.region !== undefined) {
    throw new UserError(
      `the pattern ${entry.server} takes each registry's region from its host: log in again without --region`,
    );
  }
  const configured = config.identity.aws.region;
  const region =
    configured && apiSuffixOfRegion(configured) === registry.apiSuffix
      ? configured
      : (CHECK_REGION_OF_PARTITION[registry.apiSuffix] ?? 'us-east-1');
  return { isPublic: false, region, apiSuffix: registry.apiSuffix, fips: registry.fips };
}

function targetOf(entry: LoginEntry, config: Config): EcrTarget {
  const host = entry.server.replace(/:\d+$/, '');
  const option = entry.options?.region;
  if (option !== undefined && !REGION_NAME.test(option)) {
    throw new UserError(`${quoted(option)} is not an AWS region name (such as us-east-1)`);
  }
  if (isEcrPublicHost(host)) {
    return { isPublic: true, region: ECR_PUBLIC_REGION, apiSuffix: 'amazonaws.com', fips: false };
  }
  const registry = ecrRegistryHost(host);
  if (registry?.region.includes('*')) return checkTarget(entry, registry, config);
  if (registry && option !== undefined && option !== registry.region) {
    throw new UserError(`${entry.server} is in ${registry.region}, not in the region ${option} given with --region`);
  }
  const region = registry?.region ?? option;
  if (region === undefined) {
    throw new UserError(`${entry.server} does not name an AWS region: log in again with --region REGION`);
  }
  return {
    isPublic: false,
    region,
    apiSuffix: registry?.apiSuffix ?? apiSuffixOfRegion(region),
    fips: !!registry?.fips,
  };
}

/** An API at its override (AWS_ENDPOINT_URL_<SERVICE>, AWS_ENDPOINT_URL) or its regional default. */
function api(
  signingName: string,
  region: string,
  override: string | undefined,
  regional: string,
  name: string,
): AwsApi {
  const endpoint = assertSafeEndpoint(override ?? regional, `the ${name} endpoint`);
  return { signingName, region, endpoint, label: `${name} at ${endpoint.origin}` };
}

function ecrApi(target: EcrTarget, config: Config): AwsApi {
  const { ecr, ecrPublic } = config.awsEndpoints;
  if (target.isPublic) {
    const regional = `https://api.ecr-public.${ECR_PUBLIC_REGION}.amazonaws.com/`;
    return api('ecr-public', target.region, ecrPublic, regional, 'Amazon ECR Public');
  }
  const regional = `https://${target.fips ? 'ecr-fips' : 'api.ecr'}.${target.region}.${target.apiSuffix}/`;
  return api('ecr', target.region, ecr, regional, 'Amazon ECR');
}

function stsApi(target: EcrTarget, config: Config): AwsApi {
  const regional = `https://sts.${target.region}.${target.apiSuffix}/`;
  return api('sts', target.region, config.awsEndpoints.sts, regional, 'AWS STS');
}

/** `lanyard-<host>` within STS's limits (`[\w+=,.@-]{2,64}`): CloudTrail then shows which login asked. */
export function roleSessionName(server: string): string {
  return `lanyard-${server}`.replace(/[^\w+=,.@-]/g, '-').slice(0, 64);
}

function checkedKeyId(entry: LoginEntry): string {
  if (/^ASIA/.test(entry.username)) {
    throw new UserError(
      `${entry.username} is a temporary key (ASIA…) that needs a session token lanyard does not keep: ` +
        'log in with a long-term access key (AKIA…), and --role-arn to use a role',
    );
  }
  if (!ACCESS_KEY_ID.test(entry.username)) {
    throw new UserError(
      'the username of an ECR login is the access key id (AKIA… and 16 more letters or digits), ' +
        `not ${quoted(entry.username)}`,
    );
  }
  return entry.username;
}

/** The keys that sign (stored, or a source's), until when they work, and what to run to replace them. */
interface Signer {
  credentials: AwsCredentials;
  expiresAt: number;
  relogin: string;
}

function checkedRole(role: RoleToAssume): RoleToAssume {
  if (!ROLE_ARN.test(role.roleArn)) {
    throw new UserError(`${quoted(role.roleArn)} is not a role ARN (arn:aws:iam::<account>:role/<name>)`);
  }
  return role;
}

/** The entry's --role-arn, checked; undefined without one. */
function optionRole(entry: LoginEntry): RoleToAssume | undefined {
  const roleArn = entry.options?.roleArn;
  return roleArn === undefined ? undefined : checkedRole({ roleArn });
}

/** Assumes `role` when there is one, then asks ECR: the token is only as good as the keys that asked for it. */
async function ecrToken(
  entry: LoginEntry,
  target: EcrTarget,
  signer: Signer,
  role: RoleToAssume | undefined,
  context: IssueContext,
): Promise<IssuedCredential> {
  const permission = target.isPublic
    ? 'ecr-public:GetAuthorizationToken (and sts:GetServiceBearerToken)'
    : 'ecr:GetAuthorizationToken';
  let { credentials, expiresAt: signerExpiresAt } = signer;
  let identity: string | undefined;
  if (role) {
    const session = await assumeRole(
      stsApi(target, context.config),
      credentials,
      { ...role, sessionName: role.sessionName ?? roleSessionName(entry.server) },
      {
        permission: `sts:AssumeRole on ${role.roleArn} (and a trust policy that lets it in)`,
        relogin: signer.relogin,
      },
      context.timeoutMs,
    );
    credentials = session;
    signerExpiresAt = Math.min(signerExpiresAt, session.expiresAt);
    identity = session.arn || undefined;
  }
  const refusalContext = { permission, relogin: signer.relogin };
  const token = await getAuthorizationToken(
    ecrApi(target, context.config),
    target.isPublic,
    credentials,
    refusalContext,
    context.timeoutMs,
  );
  return {
    username: token.username,
    secret: token.password,
    issuedAt: token.issuedAt,
    expiresAt: Math.min(token.expiresAt, signerExpiresAt),
    ...(identity ? { identity } : {}),
  };
}

export const awsEcrProvider: Provider = {
  async issue(entry, secretAccessKey, context) {
    const target = targetOf(entry, context.config);
    const accessKeyId = checkedKeyId(entry);
    registerSecret(secretAccessKey);
    const relogin = `docker-credential-lanyard login ${entry.server} -u ${accessKeyId} --password-stdin`;
    const signer = { credentials: { accessKeyId, secretAccessKey }, expiresAt: Number.POSITIVE_INFINITY, relogin };
    return ecrToken(entry, target, signer, optionRole(entry), context);
  },

  async issueFromSource(entry, source, context) {
    const target = targetOf(entry, context.config);
    const found = credentialOf<AwsCredential>(source, 'aws');
    const { accessKeyId, secretAccessKey, sessionToken } = found;
    const signer = {
      credentials: { accessKeyId, secretAccessKey, ...(sessionToken ? { sessionToken } : {}) },
      expiresAt: found.expiresAt ?? Number.POSITIVE_INFINITY,
      // A pod's role is the pod's to fix (its annotation and the role's trust policy), not a login's.
      relogin: source.pod
        ? "check the pod service account's eks.amazonaws.com/role-arn and that role's trust policy"
        : `docker-credential-lanyard login ${entry.server} --source ${source.name}`,
    };
    // A profile's role_arn comes with the source; otherwise the login's --role-arn, but never on top of a pod's role.
    const role = found.assumeRole ? checkedRole(found.assumeRole) : source.pod ? undefined : optionRole(entry);
    const issued = await ecrToken(entry, target, signer, role, context);
    return { ...issued, identity: issued.identity ?? found.identity };
  },
};
