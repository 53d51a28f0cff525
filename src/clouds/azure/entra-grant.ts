// Microsoft Entra's client-credentials grant as the identity sources use it (docs/wire-identities.md §3): the
// tenant's v2.0 token endpoint takes the app's proof (a client secret, a certificate's signed assertion, or a
// federated token as assertion) and answers an access token for ACR. Its refusals carry AADSTS codes, named here
// with what to change in the environment. Also what an Entra access token says about whom it was issued to.
import { ServiceRefusedError } from '../../errors.js';
import { foreignText, registerSecret } from '../../foreign-text.js';
import type { HttpResponse } from '../../http.js';
import { unverifiedClaims } from '../../jwt-claims.js';
import {
  believedExpiry,
  postForm,
  readAnswer,
  refused,
  secretField,
  type SourceIdentity,
  tokenServiceUrl,
} from '../source-io.js';

export interface AzureCredential extends SourceIdentity {
  /** An Entra access token whose audience is `resource` (ACR's by default). */
  accessToken: string;
  expiresAt: number;
  /** The token's tenant (`tid`): the ACR exchange names it. */
  tenant?: string;
}

export const ACR_RESOURCE = 'https://containerregistry.azure.net';
const DEFAULT_AUTHORITY_HOST = 'https://login.microsoftonline.com';
const CLIENT_ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
/** Entra codes a later try can get past: the kubelet had not yet rewritten an expired assertion. */
const TRANSIENT_AADSTS = new Set([700024]);
/** What names the client id and the tenant where the caller set them: variables, or a pod's annotations. */
export interface GrantSettingNames {
  clientId: string;
  tenant: string;
}

const ENVIRONMENT_NAMES: GrantSettingNames = { clientId: 'AZURE_CLIENT_ID', tenant: 'AZURE_TENANT_ID' };

const AADSTS_HINTS: Record<number, string | ((names: GrantSettingNames) => string)> = {
  70021: "no federated credential on the app matches the token's issuer, subject and audience",
  700211: "no federated credential on the app matches the token's issuer",
  700213: "no federated credential on the app matches the token's subject",
  700016: (names) => `${names.clientId} is not an application in this tenant`,
  90002: (names) => `${names.tenant} is not a tenant`,
  700024: 'the token in the file is outside its valid time range',
  7000215: "AZURE_CLIENT_SECRET is wrong or was deleted: give the secret's Value, not its Secret ID",
  7000222: 'AZURE_CLIENT_SECRET has expired: create a new one (az ad app credential reset)',
  700027: 'the app has no such certificate: upload it (az ad app credential reset --cert) or fix the path',
};

/** How the app proves itself: its secret, or a signed assertion (a certificate's, or a federated token). */
export type ClientProof = { client_secret: string } | { client_assertion: string };

export interface EntraGrant {
  /** AZURE_AUTHORITY_HOST; default https://login.microsoftonline.com. */
  authorityHost?: string;
  tenant: string;
  clientId: string;
  proof: ClientProof;
  /** What the proof is, for the refusal: "client secret", "certificate", "federated token". */
  proofName: string;
  /** Where the client id and tenant were set, for the hints; default the AZURE_* variables. */
  names?: GrantSettingNames;
  resource?: string;
  timeoutMs?: number;
}

/** The tenant's v2.0 token endpoint: where the grant goes, and the audience of a certificate's assertion. */
export function entraTokenUrl(authorityHost: string | undefined, tenant: string): URL {
  const authority = (authorityHost ?? DEFAULT_AUTHORITY_HOST).replace(/\/+$/, '');
  return tokenServiceUrl(`${authority}/${encodeURIComponent(tenant)}/oauth2/v2.0/token`, 'the Entra authority');
}

/** Whom an Entra access token names (a user's name, else its app id, else its object id) and its tenant. */
export function credentialFrom(
  where: string,
  accessToken: string,
  expiresAt: number,
  fallback: string,
): AzureCredential {
  const claims = unverifiedClaims(accessToken);
  const tenant = typeof claims.tid === 'string' ? claims.tid : undefined;
  const who =
    [claims.upn, claims.unique_name, claims.appid, claims.azp, claims.oid].find(
      (v): v is string => typeof v === 'string',
    ) ?? fallback;
  return { accessToken, expiresAt: believedExpiry(where, expiresAt), identity: who, ...(tenant ? { tenant } : {}) };
}

/** Entra's error: the AADSTS code from error_codes, the first line of the description, and what it means. */
function entraRefusal(
  where: string,
  response: HttpResponse,
  proofName: string,
  names: GrantSettingNames,
): ServiceRefusedError {
  let code: number | undefined;
  let description = '';
  try {
    const body = JSON.parse(response.body) as { error_codes?: unknown; error_description?: unknown };
    code = Array.isArray(body.error_codes) && typeof body.error_codes[0] === 'number' ? body.error_codes[0] : undefined;
    description = typeof body.error_description === 'string' ? body.error_description.split(/\r?\n/)[0]! : '';
  } catch {
    return refused(where, response, `to the ${proofName}`);
  }
  if (code === undefined) return refused(where, response, `to the ${proofName}`);
  const known = AADSTS_HINTS[code];
  const hint = known ? ` (${typeof known === 'function' ? known(names) : known})` : '';
  const { status } = response;
  return new ServiceRefusedError(where, `refused the ${proofName}: ${foreignText(description, 300)}${hint}`, {
    status,
    permanent: status < 500 && status !== 429 && !TRANSIENT_AADSTS.has(code),
  });
}

/** One client-credentials grant: the app's proof becomes an access token for `resource` (ACR's by default). */
export async function entraClientCredentials(grant: EntraGrant): Promise<AzureCredential> {
  const proof: Record<string, string> =
    'client_secret' in grant.proof
      ? { client_secret: grant.proof.client_secret }
      : { client_assertion_type: CLIENT_ASSERTION_TYPE, client_assertion: grant.proof.client_assertion };
  for (const value of Object.values(proof)) registerSecret(value);
  const url = entraTokenUrl(grant.authorityHost, grant.tenant);
  const resource = grant.resource ?? ACR_RESOURCE;
  const where = `Microsoft Entra ID at ${url.origin}`;
  const form = { grant_type: 'client_credentials', client_id: grant.clientId, ...proof, scope: `${resource}/.default` };
  const response = await postForm(where, url, form, {
    timeoutMs: grant.timeoutMs,
    hint: 'check the network or AZURE_AUTHORITY_HOST',
  });
  if (response.status !== 200) {
    throw entraRefusal(where, response, grant.proofName, grant.names ?? ENVIRONMENT_NAMES);
  }
  const issuedAt = Date.now();
  const token = readAnswer(where, response, (body) => ({
    accessToken: secretField(body.member('access_token')),
    expiresIn: Number(body.member('expires_in').value),
  }));
  return credentialFrom(where, token.accessToken, issuedAt + token.expiresIn * 1000, grant.clientId);
}
