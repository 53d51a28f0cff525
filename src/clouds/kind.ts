// What the code outside providers/ may ask about a kind, answered without loading its provider: this module
// is on the path of every `get`, so it imports only leaves that `get` loads anyway. A new kind is one provider
// file (with its loader in ./index.ts) and one row here; `Record<Kind, …>` makes a forgotten row a compile error.
import { ACR_REFRESH_TOKEN_USERNAME, isAcrHost } from './azure/hosts.js';
import { ACCESS_KEY_ID, isEcrHost } from './aws/hosts.js';
import { DOCKER_HUB_KEY } from '../hosts/dockerhub.js';
import { isGoogleRegistry } from './gcp/hosts.js';
import type { Kind } from '../mapping/types.js';

/** The clouds whose identity sources (src/sources/, `login --source`) a kind can take its long-lived side from. */
export type SourceCloud = 'aws' | 'gcp' | 'azure' | 'ibm';

/** The username docker gives an identity token (a registry refresh token) in place of a password. */
export const IDENTITY_TOKEN_USERNAME = '<token>';

export interface KindTraits {
  /**
   * Its provider may answer something other than the stored secret, or something that expires: answers go
   * through the token cache, the daemon refreshes them ahead of expiry, and doctor tries one exchange.
   * Otherwise the stored secret is answered as is, read on every request and never cached.
   */
  exchanges: boolean;
  /**
   * Its provider has a `check` hook (a service that cannot exchange the secret can still vouch for it):
   * the daemon runs it every few hours, doctor once.
   */
  checked: boolean;
  /**
   * Its identity tokens were traded for the stored username and password, so a client that takes only
   * those (the kubelet, a pull secret) gets them instead. Other identity tokens cannot go to such clients.
   */
  identityTokenFromPassword?: true;
  /**
   * Its identity tokens are also passwords under this username, so a client that takes only a username and
   * password gets the token itself (ACR's refresh tokens under the null GUID).
   */
  identityTokenPasswordUsername?: string;
  /** The username that marks a login of this kind: `store` infers the kind from it, `login --kind` defaults to it. */
  username?: string;
  /** `login` tries one exchange before storing the secret, and stores nothing if the service refuses it. */
  verifiedAtLogin?: true;
  /**
   * Whether a login on this registry (its normalised key) is of this kind, when no kind's `username` matches;
   * the username helps where the host alone is not enough (a pasted registry token stays `static`).
   */
  hostImplies?(serverKey: string, username: string): boolean;
  /**
   * A provider option the kind needs, set by the `login` flag of the same name. `hostImplies` then marks only a
   * `login` that gives it: a `store` on such a host (a pasted registry token) stays static.
   */
  loginOption?: string;
  /**
   * Its provider can take the long-lived side from this cloud's identity sources instead of a stored secret
   * (`issueFromSource`); `hosts` are the registries where `login --source auto` means this kind.
   */
  sources?: { cloud: SourceCloud; hosts(serverKey: string): boolean };
}

/** IBM Cloud Container Registry: icr.io and its regional and private hosts (host patterns too). */
const isIcrHost = (serverKey: string) => /(?:^|\.)icr\.io(?::\d+)?$/.test(serverKey);

// What Google's registries take besides a key file: a pasted access token (docker-credential-gcr's own username
// is `_dcgcr_<version>_token`). Such a login is kept as it is.
const GOOGLE_ACCESS_TOKEN_USERNAME = /^(?:oauth2accesstoken|_dcgcr_\w+_token)$/;

const OPENSHIFT_REGISTRY_HOSTS = [
  /^registry\.[a-z0-9-]+\.appuio\.cloud$/, // APPUiO Cloud zones
  /^default-route-openshift-image-registry\.apps\./, // the registry's default external route
  /^image-registry\.openshift-image-registry\.svc(?:\.cluster\.local)?(?::\d+)?$/, // in-cluster service
];

export const KIND_TRAITS: Readonly<Record<Kind, Readonly<KindTraits>>> = {
  'ibm-iam': {
    exchanges: true,
    checked: false,
    username: 'iamapikey',
    sources: { cloud: 'ibm', hosts: isIcrHost },
  },
  'iam-refresh': { exchanges: true, checked: false, username: 'iamrefresh' },
  openshift: {
    exchanges: true,
    checked: false,
    hostImplies: (serverKey) => OPENSHIFT_REGISTRY_HOSTS.some((pattern) => pattern.test(serverKey)),
  },
  dockerhub: { exchanges: false, checked: true, hostImplies: (serverKey) => serverKey === DOCKER_HUB_KEY },
  oauth2: { exchanges: true, checked: false, identityTokenFromPassword: true },
  'identity-token': { exchanges: false, checked: false, username: IDENTITY_TOKEN_USERNAME },
  static: { exchanges: false, checked: false },
  // An access key id on an ECR host; `AWS` (a pasted ECR token) stays static.
  'aws-ecr': {
    exchanges: true,
    checked: false,
    verifiedAtLogin: true,
    hostImplies: (serverKey, username) => ACCESS_KEY_ID.test(username) && isEcrHost(serverKey),
    sources: { cloud: 'aws', hosts: isEcrHost },
  },
  'azure-acr': {
    exchanges: true,
    checked: false,
    verifiedAtLogin: true,
    hostImplies: isAcrHost,
    loginOption: 'tenant',
    identityTokenPasswordUsername: ACR_REFRESH_TOKEN_USERNAME,
    sources: { cloud: 'azure', hosts: isAcrHost },
  },
  gcp: {
    exchanges: true,
    checked: false,
    verifiedAtLogin: true,
    hostImplies: (serverKey, username) => isGoogleRegistry(serverKey) && !GOOGLE_ACCESS_TOKEN_USERNAME.test(username),
    sources: { cloud: 'gcp', hosts: isGoogleRegistry },
  },
};
