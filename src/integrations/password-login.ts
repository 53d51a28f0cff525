// The kubelet and Kubernetes pull secrets take only a username and password, so an identity token (what
// docker stores as `identitytoken`) cannot go to them: what they get in its place is decided here, once,
// by the kind table (the token itself under another username, the login it was traded for, or nothing).
import type { CoreContext } from '../credentials/core-context.js';
import type { Answer } from '../credentials/issue-credential.js';
import { readSecret } from '../credentials/read-secret.js';
import type { MappingEntry } from '../mapping/types.js';
import { KIND_TRAITS } from '../clouds/registry.js';
import { IDENTITY_TOKEN_USERNAME } from '../clouds/cloud.js';

/** The login a username/password client gets for `answer`; undefined when there is none to give. */
export async function passwordLogin(
  context: CoreContext,
  entry: MappingEntry,
  answer: Answer,
): Promise<Answer | undefined> {
  if (answer.username !== IDENTITY_TOKEN_USERNAME) return answer;
  const { identityTokenPasswordUsername, identityTokenFromPassword } = KIND_TRAITS[entry.kind];
  if (identityTokenPasswordUsername) return { ...answer, username: identityTokenPasswordUsername };
  if (!identityTokenFromPassword) return undefined;
  return { username: entry.username, secret: await readSecret(context, entry) }; // the login the token was traded for
}
