// doctor: does each login actually work right now, and is the refresher healthy?
// Exchanges are done directly against the provider (no cache writes): a diagnosis
// should not change what `get` answers.
import type { Config } from '../config.js';
import type { CoreContext } from '../credentials/core-context.js';
import { readSecret } from '../credentials/read-secret.js';
import { DAEMON_OFF_ON_WINDOWS, runningDaemonPid } from '../daemon-files.js';
import { asRemoteFailure, describeError, isPermanent } from '../errors.js';
import { foreignText } from '../foreign-text.js';
import { exchangeOnce, type LongLivedSide } from '../credentials/long-lived-side.js';
import { isSourceEntry, type MappingEntry } from '../mapping/types.js';
import { checkSecret } from '../clouds/registry.js';
import { KIND_TRAITS } from '../clouds/registry.js';
import { jwtIssuedAt } from '../clouds/jwt.js';
import { fail, ok, warn, type Finding } from './finding.js';
import { daemonRuns } from '../platform.js';

const SKEW_TOLERANCE_MS = 30_000;

export async function checkDaemon(config: Config): Promise<Finding[]> {
  const pid = runningDaemonPid(config.paths);
  if (pid === undefined && !daemonRuns(config.platform)) return [ok('refresher', DAEMON_OFF_ON_WINDOWS)];
  if (pid === undefined)
    return [
      warn(
        'refresher',
        'the daemon is not running: tokens are exchanged inline on the first pull after expiry',
        'docker-credential-lanyard daemon install --enable',
      ),
    ];
  const { askDaemon } = await import('../daemon/socket-client.js');
  const answer = (await askDaemon(config.paths, { op: 'status' }, 5000).catch(() => undefined)) as
    | { entries?: { server: string; lastError?: string }[] }
    | undefined;
  if (!answer?.entries)
    return [
      fail(
        'refresher',
        `the daemon (PID ${pid}) does not answer on its socket`,
        'restart it: systemctl --user restart lanyard',
      ),
    ];
  const failing = answer.entries.filter((e) => e.lastError);
  const count = answer.entries.length;
  return failing.length
    ? failing.map((e) => warn('refresher', `the daemon's last refresh of ${e.server} failed: ${e.lastError}`))
    : [
        ok(
          'refresher',
          `the daemon (PID ${pid}) is running; ` + `${count} entr${count === 1 ? 'y' : 'ies'} refreshed without errors`,
        ),
      ];
}

function skewFinding(entry: MappingEntry, token: string, requestedAt: number, answeredAt: number): Finding | undefined {
  const issuedAt = jwtIssuedAt(token);
  if (issuedAt === undefined) return undefined;
  // iat has one-second resolution; compare with the middle of our request.
  const skew = issuedAt - (requestedAt + answeredAt) / 2;
  if (Math.abs(skew) < SKEW_TOLERANCE_MS)
    return ok('clock', `${entry.server}: clock agrees with the token issuer (${Math.round(skew / 1000)} s)`);
  return warn(
    'clock',
    `${entry.server}: this machine's clock is ${Math.round(Math.abs(skew) / 1000)} s ` +
      `${skew > 0 ? 'behind' : 'ahead of'} the token issuer; tokens may be refused or refreshed late`,
    'enable time sync (systemctl enable --now systemd-timesyncd)',
  );
}

export async function checkEntry(context: CoreContext, entry: MappingEntry): Promise<Finding[]> {
  if (isSourceEntry(entry)) return exchangeFindings(context, entry, { entry });
  const findings: Finding[] = [];
  const readStarted = Date.now();
  let secret: string;
  try {
    secret = await readSecret(context, entry);
    findings.push(
      ok('secret', `${entry.server}: secret readable from the ${entry.store} store`, Date.now() - readStarted),
    );
  } catch (error) {
    return [fail('secret', `${entry.server}: ${describeError(error)}`)];
  }
  if (KIND_TRAITS[entry.kind].checked) {
    const started = Date.now();
    try {
      const confirmed = await checkSecret(entry, secret, context.config);
      findings.push(ok('exchange', `${entry.server}: ${confirmed}`, Date.now() - started));
    } catch (error) {
      findings.push(fail('exchange', `${entry.server}: ${describeError(error)}`, exchangeFix(entry, error)));
    }
    return findings;
  }
  if (!KIND_TRAITS[entry.kind].exchanges) return findings;
  return [...findings, ...(await exchangeFindings(context, entry, { secret }))];
}

/** One exchange with the stored secret or the entry's source: which source answered as whom, and the clock. */
async function exchangeFindings(context: CoreContext, entry: MappingEntry, side: LongLivedSide): Promise<Finding[]> {
  const started = Date.now();
  try {
    const { issued, source } = await exchangeOnce(context, entry, side, {});
    const answeredAt = Date.now();
    const lifetime =
      issued.expiresAt !== undefined ? `, valid ${Math.round((issued.expiresAt - issued.issuedAt) / 60_000)} min` : '';
    const identity = issued.identity ? ` for ${foreignText(issued.identity, 120)}` : '';
    const passedThrough = 'secret' in side && issued.secret === side.secret;
    const exchanged = `exchange succeeded (${issued.username}${identity}${lifetime})`;
    const outcome = passedThrough
      ? 'stored secret is used as is'
      : source
        ? `the ${source.name} identity source answered as ${foreignText(source.identity, 160)}` +
          `${source.passedOver.length ? ` (not used: ${source.passedOver.join('; ')})` : ''}; ${exchanged}`
        : exchanged;
    const skew = passedThrough ? undefined : skewFinding(entry, issued.secret, started, answeredAt);
    return [ok('exchange', `${entry.server}: ${outcome}`, answeredAt - started), ...(skew ? [skew] : [])];
  } catch (error) {
    return [fail('exchange', `${entry.server}: ${describeError(error)}`, exchangeFix(entry, error))];
  }
}

/** The fix for a failed exchange; none when the message names it (a user error: a bad CA bundle, say). */
function exchangeFix(entry: MappingEntry, error: unknown): string | undefined {
  if (isPermanent(error) && entry.source !== undefined)
    return `give the ${entry.source} identity access to this registry, then check: doctor`;
  if (isPermanent(error))
    return (
      'log in again with a valid secret: ' +
      `docker-credential-lanyard login ${entry.server} -u ${entry.username} --password-stdin`
    );
  if (asRemoteFailure(error))
    return 'check the network path to the token service (proxy, firewall, endpoint option), then run doctor again';
  return undefined;
}
