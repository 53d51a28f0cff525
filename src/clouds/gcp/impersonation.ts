// IAM Credentials generateAccessToken (POST …/serviceAccounts/EMAIL:generateAccessToken), the last step of an
// `impersonated_service_account` file and of an `external_account` with service_account_impersonation_url: the
// source's token, as Bearer, buys a token of the target account for the cloud-platform scope, through the chain
// of delegates when the file names one. Answer: {"accessToken", "expireTime": RFC 3339}; errors are Google's
// API errors ({"error": {"code", "message", "status"}}).
import type { IssueContext } from '../provider.js';
import { checkedExpiry } from '../provider.js';
import { ask, readAnswer } from '../source-io.js';
import type { Impersonation } from './adc-file.js';
import { CLOUD_PLATFORM_SCOPE, type GoogleToken, googleRefusal, usableAccessToken } from './google-answer.js';

export async function impersonate(
  impersonation: Impersonation,
  sourceToken: string,
  file: string,
  context: IssueContext,
): Promise<GoogleToken> {
  const { url, target, delegates, lifetimeSeconds } = impersonation;
  const body = {
    ...(delegates.length > 0 ? { delegates } : {}),
    scope: [CLOUD_PLATFORM_SCOPE],
    lifetime: `${lifetimeSeconds}s`,
  };
  const issuedAt = Date.now();
  const service = `Google IAM Credentials at ${url.origin}`;
  const request = {
    method: 'POST' as const,
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${sourceToken}` },
    body: JSON.stringify(body),
    ...(context.timeoutMs ? { timeoutMs: context.timeoutMs } : {}),
  };
  const response = await ask(
    service,
    url,
    request,
    `check the network, or service_account_impersonation_url in ${file}`,
  );
  if (response.status !== 200) {
    throw googleRefusal(response, service, `to let the source of ${file} act as ${target}`, (code) =>
      code === 'NOT_FOUND'
        ? `the service account ${target} does not exist: fix service_account_impersonation_url in ${file}`
        : `grant the source identity roles/iam.serviceAccountTokenCreator on ${target}` +
          (delegates.length > 0 ? ' (through each delegate in turn)' : ''),
    );
  }
  return readAnswer(service, response, (answer) => {
    const accessToken = usableAccessToken(service, answer.member('accessToken').value);
    const expireTime = answer.member('expireTime').nonEmptyString();
    const expiresAt = checkedExpiry(service, `expireTime ${expireTime}`, issuedAt, Date.parse(expireTime));
    return { accessToken, issuedAt, expiresAt };
  });
}
