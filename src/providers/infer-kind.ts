// Which kind of secret a `store` carries, from the facts a client gives us. ICR is
// reached through regional, private and custom domains, so the IAM usernames decide
// on any host; host names decide only where the username cannot.
import { KINDS, type Kind } from '../mapping/types.js';
import { KIND_TRAITS } from './kinds.js';

export function inferKind(serverKey: string, username: string): Kind {
  return (
    KINDS.find((kind) => KIND_TRAITS[kind].username === username) ??
    KINDS.find((kind) => KIND_TRAITS[kind].hostImplies?.(serverKey, username)) ??
    'static'
  );
}
