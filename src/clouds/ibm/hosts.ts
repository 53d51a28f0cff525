// IBM Cloud Container Registry domains (docs/wire-formats.md#ibm-cloud-container-registry):
// global, regional, and their private-network twins. Used to turn a mapped pattern such as
// `*.icr.io` into the concrete hosts a client configuration has to name (credHelpers has no
// patterns).
const REGIONS = ['au', 'br', 'ca', 'de', 'es', 'uk', 'jp2', 'jp', 'us'];

export const ICR_DOMAINS: readonly string[] = [
  'icr.io',
  ...REGIONS.map((region) => `${region}.icr.io`),
  'private.icr.io',
  ...REGIONS.map((region) => `private.${region}.icr.io`),
];
