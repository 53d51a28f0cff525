// Which program this process is, named in log lines and in the User-Agent (so servers, and our
// stand-ins, can tell the daemon's refreshes from a pull's inline exchange).
export type Role = 'helper' | 'daemon';

let role: Role = 'helper';

export const processRole = (): Role => role;

/** Called once by the daemon at start. */
export function becomeDaemon(): void {
  role = 'daemon';
}
