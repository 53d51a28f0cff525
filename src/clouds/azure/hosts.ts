// Azure's names (docs/wire-clouds.md#3-azure-container-registry): Container Registry hosts in the public and
// sovereign clouds, the Microsoft Entra authority each cloud signs in at, and the shape of a tenant id.
// A leaf: the kind table asks it on every `get`.

/** `<registry>.azurecr.io` and the sovereign clouds' twins, with the authority host of each cloud. */
const CLOUDS: ReadonlyArray<{ suffix: string; authority: string }> = [
  { suffix: '.azurecr.io', authority: 'https://login.microsoftonline.com' },
  { suffix: '.azurecr.cn', authority: 'https://login.chinacloudapi.cn' },
  { suffix: '.azurecr.us', authority: 'https://login.microsoftonline.us' },
];

/** One DNS label before the suffix: registry names are alphanumeric, domain-name-label scopes add a hash. */
const REGISTRY_LABEL = /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/;

/** The username that tells ACR the password is one of its refresh tokens (the null GUID). */
export const ACR_REFRESH_TOKEN_USERNAME = '00000000-0000-0000-0000-000000000000';

/** Whether a normalised server key is an Azure Container Registry host (no port, no pattern). */
export function isAcrHost(serverKey: string): boolean {
  const cloud = CLOUDS.find(({ suffix }) => serverKey.endsWith(suffix));
  return cloud !== undefined && REGISTRY_LABEL.test(serverKey.slice(0, -cloud.suffix.length));
}

/** The Entra authority of the registry's cloud; the public cloud's for any other host (`--acr-endpoint` setups). */
export function defaultAuthorityHost(serverKey: string): string {
  return (CLOUDS.find(({ suffix }) => serverKey.endsWith(suffix)) ?? CLOUDS[0]).authority;
}

/** A directory (tenant) id as Entra takes it in a URL path: a GUID or a verified domain such as contoso.com. */
export function isTenantId(value: string): boolean {
  return /^[A-Za-z0-9](?:[A-Za-z0-9.-]{0,252}[A-Za-z0-9])?$/.test(value);
}
