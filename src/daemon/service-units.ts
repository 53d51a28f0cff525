// Installs the daemon as a per-user service: a systemd user unit on Linux, a launchd
// agent on macOS (platform.ts `serviceManager`). Written atomically; `--enable` also starts it.
import type { Config } from '../config.js';
import { execFileSync } from 'node:child_process';
import { existsSync, unlinkSync } from 'node:fs';
import { basename, isAbsolute, join, resolve } from 'node:path';
import { UserError } from '../errors.js';
import { ensurePrivateDir, writeFileAtomic } from '../fsutil/atomic-write.js';
import { serviceManager } from '../platform.js';
import { HELPER_NAME } from '../version.js';

const SYSTEMD_UNIT = 'lanyard.service';
const LAUNCHD_LABEL = 'io.github.lanyard.daemon';

interface ServiceTarget {
  path: string;
  contents: (binary: string) => string;
  /** Directories the service manager expects to exist before it starts the daemon. */
  needs: string[];
  enable: string[][];
  disable: string[][];
}

/** Entity-escaped text for an XML (plist) text node. */
export function xmlText(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * The executable as the first word of a systemd ExecStart: quoted (spaces), `%` doubled
 * (specifiers); no `$` escape, the executable is never substituted. systemd refuses
 * quotes, backslashes and control characters in an executable's name outright.
 */
export function systemdExecutable(path: string): string {
  return `"${path.replace(/%/g, '%%')}"`;
}

/**
 * The launchd agent: started at login, restarted 5 s after a failure but not after a clean stop (as the systemd
 * unit's Restart=on-failure). What it prints before its own log opens (a dylib or signature refused) goes to
 * `stderrFile`: launchd keeps nothing of a user agent's output otherwise.
 */
export function launchdPlist(binary: string, stderrFile: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0"><dict>
  <key>Label</key><string>${LAUNCHD_LABEL}</string>
  <key>ProgramArguments</key><array><string>${xmlText(binary)}</string><string>daemon</string></array>
  <key>RunAtLoad</key><true/>
  <key>KeepAlive</key><dict><key>SuccessfulExit</key><false/></dict>
  <key>ThrottleInterval</key><integer>5</integer>
  <key>StandardErrorPath</key><string>${xmlText(stderrFile)}</string>
</dict></plist>
`;
}

export function systemdUnit(binary: string): string {
  return `[Unit]
Description=lanyard: refreshes short-lived registry tokens for ${HELPER_NAME}
After=default.target

[Service]
ExecStart=${systemdExecutable(binary)} daemon
Restart=on-failure
RestartSec=5

[Install]
WantedBy=default.target
`;
}

/** Where the service file goes and how the platform's service manager is told. */
export function serviceTarget(config: Config): ServiceTarget {
  const manager = serviceManager(config.platform);
  if (manager === 'launchd') {
    const path = join(config.launchAgentsDir, `${LAUNCHD_LABEL}.plist`);
    const stderrFile = join(config.paths.logDir, 'launchd-stderr.log');
    return {
      path,
      contents: (binary) => launchdPlist(binary, stderrFile),
      needs: [config.paths.logDir],
      enable: [['launchctl', 'load', '-w', path]],
      disable: [['launchctl', 'unload', '-w', path]],
    };
  }
  if (manager !== 'systemd') {
    throw new UserError(
      'daemon install supports systemd (Linux) and launchd (macOS); ' +
        'run `docker-credential-lanyard daemon` from your own service manager elsewhere',
    );
  }
  const path = join(config.systemdUserDir, SYSTEMD_UNIT);
  return {
    path,
    contents: systemdUnit,
    needs: [],
    enable: [
      ['systemctl', '--user', 'daemon-reload'],
      ['systemctl', '--user', 'enable', '--now', SYSTEMD_UNIT],
    ],
    disable: [['systemctl', '--user', 'disable', '--now', SYSTEMD_UNIT]],
  };
}

/** The installed binary: the compiled executable (`lanyard`, behind the front); under Node, the caller must say. */
export function currentBinary(explicit?: string): string {
  if (explicit) return resolve(explicit); // the service manager starts it from elsewhere
  const name = basename(process.execPath);
  if (name.startsWith(HELPER_NAME) || name === 'lanyard') return process.execPath;
  throw new UserError(`cannot tell where the ${HELPER_NAME} binary is when run from source; pass --binary PATH`);
}

function runAll(commands: string[][]): void {
  for (const [command, ...args] of commands) {
    try {
      execFileSync(command, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    } catch (error) {
      const stderr = String((error as { stderr?: Buffer }).stderr ?? '')
        .trim()
        .split('\n')[0];
      throw new UserError(`\`${[command, ...args].join(' ')}\` failed: ${stderr || (error as Error).message}`);
    }
  }
}

export function installService(config: Config, binary: string, enable: boolean): string {
  // systemd refuses these in a program's path, and XML cannot hold control characters at all.
  if (/["'\\\u0000-\u001f\u007f]/.test(binary)) {
    const why = 'its path has quotes, backslashes or control characters; move the binary';
    throw new UserError(`a service cannot run ${JSON.stringify(binary)}: ${why}`);
  }
  // Neither manager runs from the directory the user was in.
  if (!isAbsolute(binary)) throw new UserError(`a service needs the binary's absolute path, not ${binary}`);
  const service = serviceTarget(config);
  for (const dir of service.needs) ensurePrivateDir(dir);
  writeFileAtomic(service.path, service.contents(binary), 0o644);
  if (enable) runAll(service.enable);
  return service.path;
}

export function uninstallService(config: Config): string | undefined {
  const service = serviceTarget(config);
  if (!existsSync(service.path)) return undefined;
  try {
    runAll(service.disable);
  } catch {
    /* not loaded: removing the file is what matters */
  }
  unlinkSync(service.path);
  return service.path;
}
