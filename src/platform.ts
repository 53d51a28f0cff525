// Which operating system lanyard runs on, and each fact that differs between them, in one place. Code that
// behaves differently per OS is handed a Platform (the configuration's `platform`, or an argument defaulting to
// `hostPlatform()`) and asks here; it never reads process.platform itself, so tests run the macOS, Linux and
// Windows paths on any machine.
export type Platform = NodeJS.Platform;

/** The OS this process runs on: the one read of process.platform in src/. */
export const hostPlatform = (): Platform => process.platform;

/**
 * The longest unix socket path bind() and connect() take, in bytes without the closing NUL: `sun_path` holds 108
 * bytes on Linux (and Windows' AF_UNIX), 104 on macOS and the BSDs. Longer fails with EINVAL or ENAMETOOLONG.
 */
export const socketPathMax = (platform: Platform): number => (platform === 'linux' || platform === 'win32' ? 107 : 103);

/**
 * XDG_RUNTIME_DIR names the session's private runtime dir (systemd-logind, elogind). macOS has none, and launchd
 * does not hand a shell profile's value to the daemon: read there, it would put the daemon and `get` apart.
 */
export const readsXdgRuntimeDir = (platform: Platform) => platform !== 'darwin';

/** POSIX modes and owners mean something; Windows reports every writable file as 0666 and no owner uid. */
export const hasPosixModes = (platform: Platform) => platform !== 'win32';

/** A child can lead its own process group, so killing the group also stops what it started. */
export const hasProcessGroups = (platform: Platform) => platform !== 'win32';

/** When a process started can be read (Linux /proc), telling a reused PID from a lock's real owner. */
export const hasProcessStartTimes = (platform: Platform) => platform === 'linux';

/**
 * What the OS keychain is: on Linux the Secret Service on the session bus (which lanyard checks and reads over
 * D-Bus itself), on macOS the login keychain (whose refusals secrets/macos-keychain-errors.ts explains).
 */
export type KeychainKind = 'secret-service' | 'macos-keychain' | 'windows-credential-manager';
export const keychainKind = (platform: Platform): KeychainKind =>
  platform === 'darwin' ? 'macos-keychain' : platform === 'win32' ? 'windows-credential-manager' : 'secret-service';
export const keychainIsSecretService = (platform: Platform) => platform === 'linux';

/** The daemon (refresher and agent) runs over a unix socket checked by peer uid; Windows has neither yet. */
export const daemonRuns = (platform: Platform) => platform !== 'win32';

/** The names clients run the helper by. */
export const executableNames = (platform: Platform, name: string) => (platform === 'win32' ? [`${name}.exe`] : [name]);

/** Who installs the daemon as a per-user service: systemd on Linux, launchd on macOS, none lanyard knows elsewhere. */
export type ServiceManager = 'systemd' | 'launchd';
export const serviceManager = (platform: Platform): ServiceManager | undefined =>
  platform === 'linux' ? 'systemd' : platform === 'darwin' ? 'launchd' : undefined;

/**
 * How the daemon asks the kernel who is on the other end of its socket: getsockopt(SO_PEERCRED) from glibc on
 * Linux, getpeereid(2) from libSystem on macOS; elsewhere it cannot.
 */
export type PeerCredentialCall =
  | { library: 'libc.so.6'; call: 'SO_PEERCRED' }
  | {
      library: '/usr/lib/libSystem.B.dylib';
      call: 'getpeereid';
    };
export function peerCredentialCall(platform: Platform): PeerCredentialCall | undefined {
  if (platform === 'linux') return { library: 'libc.so.6', call: 'SO_PEERCRED' };
  if (platform === 'darwin') return { library: '/usr/lib/libSystem.B.dylib', call: 'getpeereid' };
  return undefined;
}
