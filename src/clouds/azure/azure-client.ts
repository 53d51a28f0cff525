// The two requests of an ACR login (docs/wire-clouds.md#3-azure-container-registry): Microsoft Entra's
// client-credentials grant, then the registry's POST /oauth2/exchange. Refusals are classified by what the
// service says: Entra's AADSTS code (each named one with what to do), OAuth's temporarily_unavailable and
// server_error, 429 and 5xx (retried, honouring Retry-After); ACR's 401/403 means a missing role.
import { ServiceRefusedError } from '../../errors.js';
import { bodyExcerpt, foreignText, registerSecret } from '../../foreign-text.js';
import { assertSafeEndpoint, header, type HttpResponse, httpFetch, readCaBundle } from '../../http.js';
import { parseRetryAfter } from '../../retry.js';

/** ACR's own audience; `/.default` asks for what the app was granted (the only form client credentials take). */
const ACR_SCOPE = 'https://containerregistry.azure.net/.default';

/** OAuth 2.0 error codes that say "try again" whatever the status (RFC 6749 §4.1.2.1). */
const TRANSIENT_OAUTH_ERRORS = new Set(['temporarily_unavailable', 'server_error']);

export interface AcrLogin {
  /** The registry host: ACR's `service`, and the origin of its exchange unless `acrEndpoint` says otherwise. */
  registry: string;
  tenant: string;
  clientId: string;
  /** `${authority}/${tenant}/oauth2/v2.0/token` is Entra's token endpoint. */
  authority: string;
  /** Where `/oauth2/exchange` is served: `--acr-endpoint`, else the origin of the registry's token realm. */
  acrEndpoint: string;
  caFile?: string;
  timeoutMs?: number;
}

interface ServiceError {
  /** `AADSTS<n>` from Entra, ACR's `errors[0].code`, or OAuth's `error`. */
  code?: string;
  oauthError?: string;
  text: string;
}

/** Entra's JSON (`error_codes`, `error_description` starting `AADSTS<n>:`) or ACR's `{errors:[{code,message}]}`. */
function serviceError(body: string): ServiceError {
  let parsed: Record<string, unknown>;
  try {
    parsed = JSON.parse(body) as Record<string, unknown>;
  } catch {
    return { text: bodyExcerpt(body) };
  }
  const oauthError = typeof parsed?.error === 'string' ? parsed.error : undefined;
  const description = typeof parsed?.error_description === 'string' ? parsed.error_description : '';
  const listed = Array.isArray(parsed?.error_codes) ? parsed.error_codes[0] : undefined;
  const aadsts = Number.isSafeInteger(listed) ? String(listed) : /^AADSTS(\d+):/.exec(description)?.[1];
  const acr = Array.isArray(parsed?.errors) ? (parsed.errors[0] as Record<string, unknown> | undefined) : undefined;
  const acrCode = typeof acr?.code === 'string' ? acr.code : undefined;
  // Entra's description ends with trace and correlation ids on further lines: the first line says it.
  const firstLine = description.split(/\r?\n/)[0]!.replace(/^AADSTS\d+:\s*/, '');
  const text = firstLine || (typeof acr?.message === 'string' ? acr.message : '') || oauthError || bodyExcerpt(body);
  const code = aadsts !== undefined ? `AADSTS${aadsts}` : (acrCode ?? oauthError);
  return {
    ...(code ? { code: foreignText(code, 40) } : {}),
    ...(oauthError ? { oauthError } : {}),
    text: foreignText(text, 200),
  };
}

/** What to do about the Entra codes a wrong, expired or misplaced login produces. */
function entraAdvice(code: string | undefined, login: AcrLogin): string | undefined {
  switch (code) {
    case 'AADSTS7000215':
      return "the client secret is wrong or was deleted (give the secret's Value, not its Secret ID)";
    case 'AADSTS7000222':
      return `the client secret has expired: create a new one (az ad app credential reset --id ${login.clientId})`;
    case 'AADSTS700016':
      return `no application ${login.clientId} in tenant ${login.tenant}: check -u (the app's client id) and --tenant`;
    case 'AADSTS90002':
      return `tenant ${login.tenant} was not found: check --tenant (and AZURE_AUTHORITY_HOST for a sovereign cloud)`;
    default:
      return undefined;
  }
}

const relogin = (login: AcrLogin) =>
  `docker-credential-lanyard login ${login.registry} -u ${login.clientId} --tenant ${login.tenant} --password-stdin`;

/** A refusal worth retrying (429, 5xx, OAuth's "try again"); undefined for any other answer. */
function transientRefusal(service: string, response: HttpResponse, error: ServiceError) {
  const { status } = response;
  const oauthTransient = error.oauthError !== undefined && TRANSIENT_OAUTH_ERRORS.has(error.oauthError);
  if (status !== 429 && status < 500 && !oauthTransient) return undefined;
  const retryAfterMs = parseRetryAfter(header(response, 'retry-after'));
  const what = error.code ? `${error.code}: ${error.text}` : error.text;
  return new ServiceRefusedError(service, `answered ${status} (${what})`, { status, permanent: false, retryAfterMs });
}

function postForm(url: URL, form: Record<string, string>, login: AcrLogin): Promise<HttpResponse> {
  return httpFetch(url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' },
    body: new URLSearchParams(form).toString(),
    ...(login.caFile ? { ca: readCaBundle(login.caFile) } : {}),
    ...(login.timeoutMs ? { timeoutMs: login.timeoutMs } : {}),
  });
}

/** A string field of a 200 answer; a broken answer is transient (a proxy's page, a cut body). */
function answerField(service: string, response: HttpResponse, field: string): string {
  let value: unknown;
  try {
    value = (JSON.parse(response.body) as Record<string, unknown> | null)?.[field];
  } catch {
    /* handled below */
  }
  if (typeof value === 'string' && value !== '') return value;
  const detail = `answered ${response.status} without a ${field} (${bodyExcerpt(response.body)})`;
  throw new ServiceRefusedError(service, detail, { status: response.status, permanent: false });
}

/** Microsoft Entra's client-credentials grant: an access token for ACR. */
export async function entraAccessToken(login: AcrLogin, clientSecret: string): Promise<string> {
  registerSecret(clientSecret);
  const path = `${login.authority.replace(/\/+$/, '')}/${encodeURIComponent(login.tenant)}/oauth2/v2.0/token`;
  const url = assertSafeEndpoint(path, 'the Microsoft Entra token endpoint (AZURE_AUTHORITY_HOST)');
  const service = `Microsoft Entra ID at ${url.origin}`;
  const response = await postForm(
    url,
    { grant_type: 'client_credentials', client_id: login.clientId, client_secret: clientSecret, scope: ACR_SCOPE },
    login,
  );
  if (response.status === 200) return answerField(service, response, 'access_token');
  const error = serviceError(response.body);
  const transient = transientRefusal(service, response, error);
  if (transient) throw transient;
  const reason = entraAdvice(error.code, login) ?? error.text;
  const detail =
    `refused the service principal's sign-in with ${response.status} ` +
    `(${error.code ? `${error.code}: ` : ''}${reason}); then log in again: ${relogin(login)}`;
  throw new ServiceRefusedError(service, detail, { status: response.status, permanent: true });
}

/** The registry's exchange: an Entra access token for an ACR refresh token. */
export async function acrRefreshToken(login: AcrLogin, entraToken: string): Promise<string> {
  registerSecret(entraToken);
  const url = assertSafeEndpoint(
    `${login.acrEndpoint.replace(/\/+$/, '')}/oauth2/exchange`,
    'the registry exchange (--acr-endpoint)',
  );
  const service = `the registry ${login.registry} at ${url.origin}`;
  const response = await postForm(
    url,
    { grant_type: 'access_token', service: login.registry, tenant: login.tenant, access_token: entraToken },
    login,
  );
  if (response.status === 200) return answerField(service, response, 'refresh_token');
  const error = serviceError(response.body);
  const transient = transientRefusal(service, response, error);
  if (transient) throw transient;
  const { status } = response;
  const reason =
    status === 401 || status === 403
      ? `service principal ${login.clientId} has no role on this registry: grant it AcrPull (or AcrPush) there`
      : `${error.code ? `${error.code}: ` : ''}${error.text}; check that this is an Azure Container Registry`;
  throw new ServiceRefusedError(service, `refused the exchange with ${status} (${reason})`, {
    status,
    permanent: true,
  });
}
