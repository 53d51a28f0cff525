// IBM Cloud identity sources (docs/wire-identities.md §4): an IAM access token for a trusted profile, which ICR
// takes as it takes the token of an API key (username `iambearer`).
//   trusted profile  the compute-resource token a platform mounts (IKS and Red Hat OpenShift on IBM Cloud:
//                    a projected service-account token; Code Engine: its own file) sent to IAM with the grant
//                    urn:ibm:params:oauth:grant-type:cr-token and the profile's id or name
//   VPC instance     the VPC metadata service's instance identity token (PUT, Metadata-Flavor: ibm), exchanged by
//                    the same service for an IAM token of the instance's linked trusted profile
import { existsSync } from 'node:fs';
import type { IbmIdentityConfig } from '../../config.js';
import { ServiceRefusedError, UserError } from '../../errors.js';
import { foreignText } from '../../foreign-text.js';
import type { HttpResponse } from '../../http.js';
import {
  ask,
  believedExpiry,
  METADATA_TIMEOUT_MS,
  metadataUrl,
  readAnswer,
  readTokenFile,
  refused,
  secretField,
  type SourceIdentity,
  TOKEN_SERVICE_TIMEOUT_MS,
  tokenServiceUrl,
} from '../source-io.js';
import { unverifiedClaims } from '../../jwt-claims.js';

export interface IbmCredential extends SourceIdentity {
  /** An IAM access token (a JWT), for ICR as `iambearer`'s password. */
  accessToken: string;
  expiresAt: number;
}

export const CR_TOKEN_GRANT = 'urn:ibm:params:oauth:grant-type:cr-token';
export const DEFAULT_IAM_ENDPOINT = 'https://iam.cloud.ibm.com';
export const VPC_METADATA_DEFAULT = 'http://169.254.169.254';
/** The version date IBM's SDKs send to the instance identity API (its minimum is 2022-03-01). */
export const VPC_IDENTITY_VERSION = '2022-03-01';
/** Where the platforms mount the compute-resource token: IKS/ROKS (the SDKs' two defaults), then Code Engine. */
export const CR_TOKEN_PATHS = [
  '/var/run/secrets/tokens/vault-token',
  '/var/run/secrets/tokens/sa-token',
  '/var/run/secrets/codeengine.cloud.ibm.com/compute-resource-token/token',
];

/** A trusted profile by id (`Profile-…`), CRN or name: IAM's cr-token grant takes any one of the three. */
export interface TrustedProfile {
  profileId?: string;
  profileName?: string;
  profileCrn?: string;
}

export interface TrustedProfileOptions extends TrustedProfile {
  /** The login's IAM endpoint or LANYARD_IAM_ENDPOINT; default https://iam.cloud.ibm.com. */
  iamEndpoint?: string;
  timeoutMs?: number;
}

export interface VpcInstanceOptions {
  /** A linked trusted profile other than the instance's default, by id or CRN (at most one). */
  profileId?: string;
  profileCrn?: string;
  timeoutMs?: number;
}

/** The compute-resource token file: LANYARD_IBM_CR_TOKEN_FILE, else the first platform path that exists. */
export function crTokenPath(ibm: IbmIdentityConfig, candidates = CR_TOKEN_PATHS): string | undefined {
  return ibm.crTokenFile ?? candidates.find((path) => existsSync(path));
}

function iamCredential(where: string, response: HttpResponse, issuedAt: number): IbmCredential {
  const answer = readAnswer(where, response, (body) => ({
    accessToken: secretField(body.member('access_token')),
    expiration: body.member('expiration').value ?? body.member('expires_at').value,
    expiresIn: body.member('expires_in').value,
  }));
  const { expiration, expiresIn } = answer;
  let expiresAt = Number.NaN;
  if (typeof expiration === 'number')
    expiresAt = expiration * 1000; // IAM: epoch seconds
  else if (typeof expiration === 'string') expiresAt = Date.parse(expiration); // VPC: RFC 3339
  if (Number.isNaN(expiresAt) && typeof expiresIn === 'number') expiresAt = issuedAt + expiresIn * 1000;
  const claims = unverifiedClaims(answer.accessToken);
  const who = [claims.name, claims.sub, claims.iam_id].find((v): v is string => typeof v === 'string');
  return {
    accessToken: answer.accessToken,
    expiresAt: believedExpiry(where, expiresAt, issuedAt),
    identity: who ? foreignText(who, 120) : 'a trusted profile',
  };
}

/** IAM's refusal: its errorCode and errorMessage (BXNIM…), which name what is wrong with the profile or token. */
function iamRefusal(where: string, response: HttpResponse): ServiceRefusedError {
  try {
    const body = JSON.parse(response.body) as { errorCode?: unknown; errorMessage?: unknown };
    if (typeof body.errorCode === 'string') {
      const message = typeof body.errorMessage === 'string' ? body.errorMessage : '';
      const { status } = response;
      return new ServiceRefusedError(
        where,
        `refused the compute-resource token: ${foreignText(`${body.errorCode} ${message}`, 300)} ` +
          "(check the trusted profile's id or name and its trust conditions)",
        { status, permanent: status < 500 && status !== 429 },
      );
    }
  } catch {
    // not IAM's JSON: described by status below
  }
  return refused(where, response, 'to the cr-token grant');
}

export async function ibmTrustedProfile(
  ibm: IbmIdentityConfig,
  options: TrustedProfileOptions,
): Promise<IbmCredential> {
  if (!options.profileId && !options.profileName && !options.profileCrn) {
    throw new UserError('IBM Cloud trusted profile: name the profile (its id, Profile-…, its CRN or its name)');
  }
  const path = crTokenPath(ibm);
  if (!path) {
    throw new UserError(
      `IBM Cloud trusted profile: no compute-resource token in ${CR_TOKEN_PATHS.join(', ')} ` +
        '(set LANYARD_IBM_CR_TOKEN_FILE, or project a service-account token there)',
    );
  }
  const crToken = readTokenFile(
    path,
    'compute-resource token file',
    ibm.crTokenFile ? 'LANYARD_IBM_CR_TOKEN_FILE' : 'default path',
  );
  return crTokenGrant(crToken, options);
}

/** A compute-resource token (already read, registered as a secret) traded for the trusted profile's IAM token. */
export async function crTokenGrant(crToken: string, options: TrustedProfileOptions): Promise<IbmCredential> {
  const base = (options.iamEndpoint ?? DEFAULT_IAM_ENDPOINT).replace(/\/+$/, '');
  const url = tokenServiceUrl(`${base}/identity/token`, 'the IAM endpoint');
  const where = `IBM Cloud IAM at ${url.origin}`;
  const issuedAt = Date.now();
  const response = await ask(
    where,
    url,
    {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' },
      body: new URLSearchParams({
        grant_type: CR_TOKEN_GRANT,
        cr_token: crToken,
        ...(options.profileId ? { profile_id: options.profileId } : {}),
        ...(options.profileName ? { profile_name: options.profileName } : {}),
        ...(options.profileCrn ? { profile_crn: options.profileCrn } : {}),
      }).toString(),
      timeoutMs: options.timeoutMs ?? TOKEN_SERVICE_TIMEOUT_MS,
    },
    'check the network or the IAM endpoint',
  );
  if (response.status !== 200) throw iamRefusal(where, response);
  return iamCredential(where, response, issuedAt);
}

export async function ibmVpcInstance(ibm: IbmIdentityConfig, options: VpcInstanceOptions = {}): Promise<IbmCredential> {
  if (options.profileId && options.profileCrn) {
    throw new UserError('IBM Cloud VPC instance identity: name the trusted profile by id or by CRN, not both');
  }
  const base = ibm.metadataEndpoint ?? VPC_METADATA_DEFAULT;
  const url = (path: string) => {
    const target = metadataUrl(base, path, 'LANYARD_IBM_METADATA_ENDPOINT');
    target.search = new URLSearchParams({ version: VPC_IDENTITY_VERSION }).toString();
    return target;
  };
  const where = `the IBM Cloud VPC metadata service at ${url('').origin}`;
  const timeoutMs = options.timeoutMs ?? METADATA_TIMEOUT_MS;
  const json = { 'Content-Type': 'application/json', Accept: 'application/json' };
  const hint = 'not on a VPC instance, or its metadata service is not enabled';

  const identityAnswer = await ask(
    where,
    url('instance_identity/v1/token'),
    { method: 'PUT', headers: { ...json, 'Metadata-Flavor': 'ibm' }, body: '{"expires_in":300}', timeoutMs },
    hint,
  );
  if (identityAnswer.status !== 200) throw refused(where, identityAnswer, 'to the instance identity token PUT');
  const identityToken = readAnswer(where, identityAnswer, (body) => secretField(body.member('access_token')));

  const trustedProfile = options.profileId
    ? { trusted_profile: { id: options.profileId } }
    : options.profileCrn
      ? { trusted_profile: { crn: options.profileCrn } }
      : {}; // the profile linked to the instance when it was created
  const issuedAt = Date.now();
  const iamAnswer = await ask(
    where,
    url('instance_identity/v1/iam_token'),
    {
      method: 'POST',
      headers: { ...json, Authorization: `Bearer ${identityToken}` },
      body: JSON.stringify(trustedProfile),
      timeoutMs,
    },
    hint,
  );
  if (iamAnswer.status !== 200) {
    throw refused(where, iamAnswer, 'to the IAM token request (is a trusted profile linked to the instance?)');
  }
  return iamCredential(where, iamAnswer, issuedAt);
}
