// Google Container Registry and Artifact Registry hosts (docs/wire-clouds.md §2.1): every host of gcloud's
// ALL_SUPPORTED_REGISTRIES (googlecloudsdk/core/docker/constants.py, google-cloud-cli 528) and of
// docker-credential-gcr's DefaultGCRRegistries and DefaultARRegistries (config/const.go, 2026-07). Used to infer
// the Google kind from a host, and to turn a mapped pattern such as `*.gcr.io` or `*-docker.pkg.dev` into the
// concrete hosts a client configuration has to name.
const GCR_HOSTS = [
  'gcr.io',
  ...['us', 'eu', 'asia', 'marketplace', 'staging-k8s', 'k8s', 'l', 'launcher'].map((name) => `${name}.gcr.io`),
  // Docker Hub mirrors, named by gcloud for the daemon's --registry-mirror.
  ...['mirror', 'us-mirror', 'eu-mirror', 'asia-mirror'].map((name) => `${name}.gcr.io`),
];
const AR_MULTI_REGIONS = ['asia', 'europe', 'us'];
// Regions with Artifact Registry, each also named in the regional-endpoint form docker.<region>.rep.pkg.dev
// (the two lists give that form for all but their newest regions; a host too many costs nothing).
const AR_REGIONS = [
  'africa-south1',
  ...['east1', 'east2', 'northeast1', 'northeast2', 'northeast3', 'south1', 'south2'].map((r) => `asia-${r}`),
  ...['southeast1', 'southeast2', 'southeast3'].map((r) => `asia-${r}`),
  'australia-southeast1',
  'australia-southeast2',
  ...['central2', 'north1', 'north2', 'southwest1'].map((r) => `europe-${r}`),
  ...['1', '2', '3', '4', '6', '8', '9', '10', '12'].map((n) => `europe-west${n}`),
  'me-central1',
  'me-central2',
  'me-west1',
  'northamerica-northeast1',
  'northamerica-northeast2',
  'northamerica-south1',
  'southamerica-east1',
  'southamerica-west1',
  ...['central1', 'central2', 'east1', 'east4', 'east5', 'east7', 'south1'].map((r) => `us-${r}`),
  ...['1', '2', '3', '4', '8'].map((n) => `us-west${n}`),
];

export const GOOGLE_REGISTRY_HOSTS: readonly string[] = [
  ...GCR_HOSTS,
  'docker.pkg.dev',
  ...[...AR_MULTI_REGIONS, ...AR_REGIONS].map((location) => `${location}-docker.pkg.dev`),
  ...AR_REGIONS.map((region) => `docker.${region}.rep.pkg.dev`),
];

// A host, or a pattern whose every match is one, of Google's registry domains: `*` may stand in a label.
const GOOGLE_REGISTRY_KEY = [
  /^(?:[a-z0-9*-]+\.)?gcr\.io$/,
  /^(?:[a-z0-9*-]+-)?docker\.pkg\.dev$/,
  /^docker\.[a-z0-9*-]+\.rep\.pkg\.dev$/,
];

/** Whether a normalised server key (host or pattern, no port) is a Google Container or Artifact Registry. */
export function isGoogleRegistry(serverKey: string): boolean {
  return GOOGLE_REGISTRY_KEY.some((pattern) => pattern.test(serverKey));
}
