// Amazon ECR registry hosts (docs/wire-clouds.md §1.1): which account, region and partition a host belongs
// to, so one exchange can go to the right regional API. Patterns count too (`*.dkr.ecr.us-east-1.amazonaws.com`):
// their region label must be literal, since one exchange serves one region.

/** What the host of a private ECR registry tells; `region` may hold a `*` when the host is a pattern. */
export interface EcrRegistryHost {
  /** 12 digits, or a pattern such as `*`. */
  account: string;
  region: string;
  fips: boolean;
  /** The DNS suffix of the partition's API endpoints (`amazonaws.com`, `amazonaws.com.cn`, …). */
  apiSuffix: string;
}

/** Registry domain (after the region) → the partition's API domain; the dual-stack domains map to their partition. */
const API_SUFFIX_OF_REGISTRY_DOMAIN: Readonly<Record<string, string>> = {
  'amazonaws.com': 'amazonaws.com',
  'amazonaws.com.cn': 'amazonaws.com.cn',
  'amazonaws.eu': 'amazonaws.eu',
  'on.aws': 'amazonaws.com',
  'on.amazonwebservices.com.cn': 'amazonaws.com.cn',
  'c2s.ic.gov': 'c2s.ic.gov',
  'sc2s.sgov.gov': 'sc2s.sgov.gov',
  'cloud.adc-e.uk': 'cloud.adc-e.uk',
  'csp.hci.ic.gov': 'csp.hci.ic.gov',
};

// The ECR credential helper's pattern (awslabs/amazon-ecr-credential-helper, api/client.go), anchored at both ends,
// widened so that the account and region labels may be host-pattern globs.
const REGISTRY_DOMAINS = Object.keys(API_SUFFIX_OF_REGISTRY_DOMAIN).map((domain) => domain.replaceAll('.', '\\.'));
const ECR_PRIVATE_HOST = new RegExp(
  `^(\\d{12}|[\\d*]*\\*[\\d*]*)\\.dkr[.-]ecr(-fips)?\\.([a-z0-9*][a-z0-9*_-]*)\\.(${REGISTRY_DOMAINS.join('|')})$`,
);

/** The API domain of the partition a region is in (`cn-north-1` → `amazonaws.com.cn`). */
export function apiSuffixOfRegion(region: string): string {
  const prefixes: Array<[string, string]> = [
    ['cn-', 'amazonaws.com.cn'],
    ['eusc-', 'amazonaws.eu'],
    ['us-isof-', 'csp.hci.ic.gov'],
    ['us-isob-', 'sc2s.sgov.gov'],
    ['us-iso-', 'c2s.ic.gov'],
    ['eu-isoe-', 'cloud.adc-e.uk'],
  ];
  return prefixes.find(([prefix]) => region.startsWith(prefix))?.[1] ?? 'amazonaws.com';
}

/** A region name as AWS spells them: `us-east-1`, `us-gov-west-1`, `eu-isoe-west-1`, `eusc-de-east-1`. */
export const REGION_NAME = /^[a-z]{2,4}(?:-[a-z]+)+-\d{1,2}$/;

/** ECR Public's registry hosts (its API lives only in us-east-1). */
const ECR_PUBLIC_HOSTS = new Set(['public.ecr.aws', 'ecr-public.aws.com']);

/** An access key id: long-term `AKIA…` or temporary `ASIA…`, then 16 upper-case letters or digits. */
export const ACCESS_KEY_ID = /^A[KS]IA[A-Z0-9]{16}$/;

export const ECR_PUBLIC_REGION = 'us-east-1';

/** The private registry a host (or host pattern, without port) names; undefined for any other host. */
export function ecrRegistryHost(host: string): EcrRegistryHost | undefined {
  const match = ECR_PRIVATE_HOST.exec(host);
  if (!match) return undefined;
  const [, account, fips, region, domain] = match;
  return {
    account: account!,
    region: region!,
    fips: fips !== undefined,
    apiSuffix: API_SUFFIX_OF_REGISTRY_DOMAIN[domain!]!,
  };
}

export function isEcrPublicHost(host: string): boolean {
  return ECR_PUBLIC_HOSTS.has(host);
}

/**
 * The pattern that stands for every ECR registry, as amazon-ecr-credential-helper's `ecr-login` answers them all:
 * every account and region of every partition (FIPS, dual-stack, China, GovCloud, the ISO partitions) and ECR
 * Public, though its labels match only the commercial and GovCloud hosts. `configure --ecr` maps it.
 */
export const EVERY_ECR_REGISTRY = '*.dkr.ecr.*.amazonaws.com';

/** Whether `serverKey` is one registry (no pattern, no port) that the every-registry pattern answers. */
export function servesEveryEcrRegistry(patternKey: string, serverKey: string): boolean {
  if (patternKey !== EVERY_ECR_REGISTRY || serverKey.includes('*')) return false;
  return isEcrPublicHost(serverKey) || ecrRegistryHost(serverKey) !== undefined;
}

/** An ECR host pattern whose region is a wildcard: each region's registries need a token of their own. */
export function spansEcrRegions(serverKey: string): boolean {
  return !!ecrRegistryHost(serverKey.replace(/:\d+$/, ''))?.region.includes('*');
}

/** Whether a server key (host[:port], maybe a pattern) is an ECR or ECR Public registry. */
export function isEcrHost(serverKey: string): boolean {
  const host = serverKey.replace(/:\d+$/, '');
  return isEcrPublicHost(host) || ecrRegistryHost(host) !== undefined;
}
