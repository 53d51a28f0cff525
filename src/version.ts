// The helper's identity as printed by `version` (docker-credential-helpers format:
// `<Name> (<Package>) <Version>`). Kept in code so the compiled binary needs no package.json.
export const HELPER_NAME = 'docker-credential-lanyard';
export const PACKAGE_NAME = 'lanyard';
export const VERSION = '0.1.0';
