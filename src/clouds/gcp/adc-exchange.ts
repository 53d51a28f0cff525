// An ADC credential of any type to a Google access token, in google-auth's steps: a key file's own grant; an
// external_account's subject token traded at STS, then, with service_account_impersonation_url, for the service
// account's token; a workforce user's refresh grant; an impersonated_service_account's source credential (any of
// these) and then generateAccessToken. A credential used only to impersonate asks for the IAM scope, as
// google-auth's does; the token clients get is always for cloud-platform.
import type { IssueContext, LoginEntry } from '../provider.js';
import type { AdcCredential, ExternalAccount } from './adc-file.js';
import { CLOUD_PLATFORM_SCOPE, type GoogleToken, IAM_SCOPE } from './google-answer.js';
import { impersonate } from './impersonation.js';
import { exchangeKey } from './key-exchange.js';
import { exchangeSubjectToken, refreshExternalUser, type StsExchange } from './sts.js';
import { subjectToken } from './subject-token.js';

/**
 * A subject token traded at STS, then, when the account names one, for its service account's token (the
 * federated token then only asks for the IAM scope). `file` names where the account was configured, in errors.
 */
export async function federatedAccessToken(
  account: StsExchange & Pick<ExternalAccount, 'impersonation'>,
  subject: string,
  file: string,
  context: IssueContext,
  scope = CLOUD_PLATFORM_SCOPE,
): Promise<GoogleToken> {
  const { impersonation } = account;
  if (!impersonation) return exchangeSubjectToken(account, subject, scope, file, context);
  const federated = await exchangeSubjectToken(account, subject, IAM_SCOPE, file, context);
  return impersonate(impersonation, federated.accessToken, file, context);
}

/** `file` names the ADC file in errors; `scope` is what a source credential asks for. */
export async function adcAccessToken(
  entry: LoginEntry,
  credential: AdcCredential,
  file: string,
  context: IssueContext,
  scope = CLOUD_PLATFORM_SCOPE,
): Promise<GoogleToken> {
  switch (credential.type) {
    case 'service_account':
    case 'authorized_user':
      return exchangeKey(entry, credential, context, scope);
    case 'external_account':
      return federatedAccessToken(credential, await subjectToken(credential, file, context), file, context, scope);
    case 'external_account_authorized_user':
      return refreshExternalUser(credential, file, context);
    case 'impersonated_service_account': {
      const source = await adcAccessToken(entry, credential.source, file, context, IAM_SCOPE);
      return impersonate(credential.impersonation, source.accessToken, file, context);
    }
  }
}
