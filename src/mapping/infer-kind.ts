// Which kind of secret a `store` carries, from the facts a client gives us. ICR is
// reached through regional, private and custom domains, so the IAM usernames decide
// on any host; host names decide only where the username cannot.
import { DOCKER_HUB_KEY } from '../hosts/dockerhub.js';
import type { Kind } from './types.js';

const OPENSHIFT_REGISTRY_HOSTS = [
  /^registry\.[a-z0-9-]+\.appuio\.cloud$/, // APPUiO Cloud zones
  /^default-route-openshift-image-registry\.apps\./, // the registry's default external route
  /^image-registry\.openshift-image-registry\.svc(?:\.cluster\.local)?(?::\d+)?$/, // in-cluster service
];

export function inferKind(serverKey: string, username: string): Kind {
  if (username === '<token>') return 'identity-token';
  if (username === 'iamapikey') return 'ibm-iam';
  if (username === 'iamrefresh') return 'iam-refresh';
  if (serverKey === DOCKER_HUB_KEY) return 'dockerhub';
  if (OPENSHIFT_REGISTRY_HOSTS.some((pattern) => pattern.test(serverKey))) return 'openshift';
  return 'static';
}
