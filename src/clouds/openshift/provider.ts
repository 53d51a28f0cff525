// OpenShift's integrated registry takes any Kubernetes bearer token as the password
// (the username is ignored; docs/wire-formats.md#openshift-and-kubernetes). With an API
// server and a service account configured, the stored long-lived token mints short-lived
// bound tokens through the TokenRequest API; otherwise the stored token (e.g. from
// `oc whoami -t`) is passed through, with its expiry read from the JWT when it is one.
import { ServiceRefusedError, UserError } from '../../errors.js';
import { foreignText } from '../../foreign-text.js';
import type { LoginEntry } from '../provider.js';
import { isoTime } from '../../service-limits.js';
import { jwtExpiry } from '../jwt.js';
import { kubeRequest } from '../../kube-api.js';
import { checkedExpiry, passThrough, type IssueContext, type IssuedCredential, type Provider } from '../provider.js';

const MIN_EXPIRATION_SECONDS = 600; // the API server refuses shorter requests

interface TokenRequestStatus {
  status?: { token?: unknown; expirationTimestamp?: unknown };
}

async function mintBoundToken(entry: LoginEntry, token: string, context: IssueContext): Promise<IssuedCredential> {
  const { apiServer, namespace, serviceAccount, caFile, audience } = entry.options ?? {};
  if (!namespace)
    throw new UserError(
      `the OpenShift login for ${entry.server} names a service account but no namespace (--namespace)`,
    );
  const expirationSeconds = Math.max(MIN_EXPIRATION_SECONDS, Number(entry.options?.expirationSeconds ?? 3600));
  const issuedAt = Date.now();
  const account = `${encodeURIComponent(namespace)}/serviceaccounts/${encodeURIComponent(serviceAccount!)}`;
  const path = `/api/v1/namespaces/${account}/token`;
  const response = (await kubeRequest(
    { apiServer: apiServer!, token, caFile, timeoutMs: context.timeoutMs },
    'POST',
    path,
    {
      apiVersion: 'authentication.k8s.io/v1',
      kind: 'TokenRequest',
      // No audience by default: the registry validates by calling the API server as the token's user.
      spec: { audiences: audience ? [audience] : [], expirationSeconds },
    },
  )) as TokenRequestStatus | null; // any JSON, null included
  const service = `the TokenRequest API at ${apiServer}`;
  const minted = response?.status?.token;
  const expiration = response?.status?.expirationTimestamp;
  if (typeof minted !== 'string' || !minted || typeof expiration !== 'string') {
    const detail = 'answered without status.token or status.expirationTimestamp';
    throw new ServiceRefusedError(service, detail, { permanent: false });
  }
  // The issuer may cap the validity below what we asked: trust expirationTimestamp, within limits.
  const field = `expirationTimestamp "${foreignText(expiration, 40)}", by this machine's clock`;
  const expiresAt = checkedExpiry(service, field, issuedAt, Date.parse(expiration));
  return { username: entry.username, secret: minted, issuedAt, expiresAt };
}

export const openshiftProvider: Provider = {
  async issue(entry, token, context) {
    if (entry.options?.apiServer && entry.options?.serviceAccount) return mintBoundToken(entry, token, context);
    const expiresAt = jwtExpiry(token);
    if (expiresAt !== undefined && expiresAt <= Date.now()) {
      // Refused here on the registry's behalf: it would refuse the token, and no exchange can renew it.
      const detail =
        `cannot take the stored token: it expired at ${isoTime(expiresAt)}; ` +
        `log in again (oc login, then docker login ${entry.server})`;
      throw new ServiceRefusedError(`the OpenShift registry ${entry.server}`, detail, { permanent: true });
    }
    return passThrough(entry, token, expiresAt);
  },
};
