// Which kind of secret a `store` carries, from the facts a client gives us. ICR is
// reached through regional, private and custom domains, so the IAM usernames decide
// on any host; host names decide only where the username cannot. A kind that needs a
// `login` option (Azure's tenant) is marked by its host only together with that option.
import { UserError } from '../errors.js';
import { KIND_TRAITS, KINDS, type Kind, type SourceCloud, sourceCloudOf } from './registry.js';

type Options = Readonly<Record<string, string>>;

function hostMarks(kind: Kind, serverKey: string, username: string, options: Options): boolean {
  const { hostImplies, loginOption } = KIND_TRAITS[kind];
  const marked = hostImplies?.(serverKey, username) ?? false;
  return marked && (loginOption === undefined || options[loginOption] !== undefined);
}

export function inferKind(serverKey: string, username: string, options: Options = {}): Kind {
  return (
    KINDS.find((kind) => KIND_TRAITS[kind].username === username) ??
    KINDS.find((kind) => hostMarks(kind, serverKey, username, options)) ??
    'static'
  );
}

/**
 * The kind a `login` names, or that its options mark on this host; undefined leaves it to the stored entry or
 * to inferKind. A kind's own option is required for it and refused for any other kind.
 */
export function loginKind(
  serverKey: string,
  requested: Kind | undefined,
  options: Options,
  username = '',
): Kind | undefined {
  const marks = (k: Kind) => KIND_TRAITS[k].loginOption !== undefined && hostMarks(k, serverKey, username, options);
  const kind = requested ?? KINDS.find(marks);
  for (const owner of KINDS) {
    const option = KIND_TRAITS[owner].loginOption;
    if (option === undefined) continue;
    if (owner === kind && options[option] === undefined) throw new UserError(`--kind ${owner} needs --${option}`);
    if (owner !== kind && options[option] !== undefined) {
      const fix = kind === undefined ? `add --kind ${owner} for a host that does not imply it` : `not ${kind} ones`;
      throw new UserError(`--${option} is for ${owner} logins: ${fix}`);
    }
  }
  return kind;
}

/**
 * The kind of a `login --source`: the one --kind names, else the one that takes the source's cloud, else (for
 * `auto`) the one whose registries the host is. `cloud` is the named source's, undefined for `auto`.
 */
export function sourceKind(serverKey: string, requested: Kind | undefined, cloud: SourceCloud | undefined): Kind {
  const takers = KINDS.filter((kind) => sourceCloudOf(kind) !== undefined);
  const names = takers.join(', ');
  if (requested !== undefined) {
    const taken = sourceCloudOf(requested);
    if (taken === undefined) throw new UserError(`${requested} logins cannot take an identity source (only ${names})`);
    if (cloud !== undefined && cloud !== taken) {
      throw new UserError(`--kind ${requested} takes ${taken} identity sources, not a ${cloud} one`);
    }
    return requested;
  }
  const kind = takers.find((k) =>
    cloud !== undefined ? sourceCloudOf(k) === cloud : KIND_TRAITS[k].sourceHosts?.(serverKey),
  );
  if (kind === undefined)
    throw new UserError(`${serverKey} is not a registry whose kind --source auto knows: add --kind`);
  return kind;
}
