// The pulling pod's own Google identity (kubelet mode, docs/kubernetes.md): its service-account token is the
// subject token of a workload identity pool provider, traded at Google STS as an `external_account` file's would
// be, then, when the service account names one, for a Google service account's token (adc-exchange.ts).
import type { GoogleIdentityConfig } from '../../config.js';
import { UserError } from '../../errors.js';
import { foreignText } from '../../foreign-text.js';
import { jwtStringClaim } from '../jwt.js';
import type { IssueContext } from '../provider.js';
import { tokenServiceUrl } from '../source-io.js';
import { DEFAULT_STS_URL, IMPERSONATION_LIFETIME_S } from './adc-file.js';
import { federatedAccessToken } from './adc-exchange.js';
import type { GoogleCredential } from './sources.js';

const JWT_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:jwt';
const IAM_CREDENTIALS = 'https://iamcredentials.googleapis.com';
const PROVIDER_RESOURCE = 'projects/N/locations/global/workloadIdentityPools/POOL/providers/PROVIDER';
const PROVIDER_NAME = new RegExp(
  `^(?://iam\\.googleapis\\.com/)?(${PROVIDER_RESOURCE.replace(/(?<=\/)(?:N|POOL|PROVIDER)(?=\/|$)/g, '[^/\\s]+')})$`,
);
const SERVICE_ACCOUNT = /^[^@\s/:]+@[^@\s/:]+$/;

/** What the pod's service account names: its pool provider (either of Google's spellings), and an account to be. */
export interface GooglePodAnnotations {
  provider: { annotation: string; value: string };
  serviceAccount?: { annotation: string; value: string };
}

export async function googlePodIdentity(
  token: string,
  names: GooglePodAnnotations,
  google: GoogleIdentityConfig,
  context: IssueContext,
): Promise<GoogleCredential> {
  const { provider, serviceAccount } = names;
  const resource = PROVIDER_NAME.exec(provider.value)?.[1];
  if (!resource) {
    throw new UserError(
      `the annotation ${provider.annotation} is not a workload identity pool provider ` +
        `(${PROVIDER_RESOURCE}): ${foreignText(provider.value, 100)}`,
    );
  }
  if (serviceAccount && !SERVICE_ACCOUNT.test(serviceAccount.value)) {
    const shown = foreignText(serviceAccount.value, 100);
    throw new UserError(`the annotation ${serviceAccount.annotation} is not a service account e-mail: ${shown}`);
  }
  const target = serviceAccount?.value;
  const iamBase = (google.iamCredentialsEndpoint ?? IAM_CREDENTIALS).replace(/\/+$/, '');
  const account = {
    audience: `//iam.googleapis.com/${resource}`,
    subjectTokenType: JWT_TOKEN_TYPE,
    tokenUrl: tokenServiceUrl(google.stsUrl ?? DEFAULT_STS_URL, 'LANYARD_GOOGLE_STS_URL'),
    ...(target
      ? {
          impersonation: {
            url: tokenServiceUrl(
              `${iamBase}/v1/projects/-/serviceAccounts/${target}:generateAccessToken`,
              'LANYARD_GOOGLE_IAM_CREDENTIALS_ENDPOINT',
            ),
            target,
            lifetimeSeconds: IMPERSONATION_LIFETIME_S,
            delegates: [],
          },
        }
      : {}),
  };
  const file = `the pod's service account (${provider.annotation})`;
  const answer = await federatedAccessToken(account, token, file, context);
  const identity = target ?? jwtStringClaim(token, 'sub') ?? 'the pod';
  return { kind: 'access-token', accessToken: answer.accessToken, expiresAt: answer.expiresAt, identity };
}
