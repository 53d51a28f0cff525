// The agent: the daemon keeps the secrets of static logins (kinds that exchange nothing) in memory, so a
// `get` is answered from there instead of the keychain (get-answer.ts). A secret is read from its store on the
// first ask (that ask gets no answer: the asker reads the store itself) and answered only while the mapping
// still names the same login (its fingerprint); it is dropped when the login changes or goes (the mapping is
// stat'ed per request and every second), when a read from its store fails (locked, unreachable), after the
// idle time, and when the daemon stops. Nothing of it is written anywhere.
import type { CoreContext } from '../credentials/core-context.js';
import { readStoredSecret } from '../credentials/read-secret.js';
import { describeError } from '../errors.js';
import { registerSecret } from '../foreign-text.js';
import { log } from '../log.js';
import type { MappingEntry, StoreName, StoredEntry } from '../mapping/types.js';
import { secretFingerprint } from '../tokens/fingerprint.js';
import { daemonAnswers } from './answerable.js';
import { MappingWatcher } from './mapping-watcher.js';
import { KIND_TRAITS } from '../clouds/registry.js';
import { MAX_AGENT_SECRET_CHARS, MAX_AGENT_USERNAME_CHARS } from './agent-answer.js';

interface Login {
  entry: StoredEntry;
  fingerprint: string;
}

interface Held extends Login {
  secret: string;
  lastAskedAt: number;
}

const SWEEP_INTERVAL_MS = 1000;

/** Static logins kept in a store the daemon can read (an env-store value lives in the asker's environment). */
const agentServes = (entry: MappingEntry): entry is StoredEntry =>
  daemonAnswers(entry) && !KIND_TRAITS[entry.kind].exchanges;

export class SecretAgent {
  /** The entries it may serve, by server key, as the mapping is now. */
  private logins = new Map<string, Login>();
  private readonly held = new Map<string, Held>();
  private readonly reading = new Set<string>();
  private readonly watcher: MappingWatcher;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly context: CoreContext) {
    this.watcher = new MappingWatcher(context.config.paths.mappingFile);
  }

  /** How many secrets it holds (never which). */
  get heldCount(): number {
    return this.held.size;
  }

  start(): void {
    if (!this.context.config.agent) return;
    this.timer = setInterval(() => this.sweep(), SWEEP_INTERVAL_MS);
  }

  stop(): void {
    clearInterval(this.timer);
    this.held.clear();
  }

  /**
   * The secret it holds for this entry of the current mapping, if any; otherwise it reads it from the store
   * after this answer has gone out (the asker reads the store itself meanwhile).
   */
  secretFor(entry: StoredEntry): string | undefined {
    if (!this.context.config.agent) return undefined;
    this.followMapping();
    const login = this.logins.get(entry.server);
    if (login === undefined || login.fingerprint !== secretFingerprint(entry, this.context.config)) return undefined;
    const now = this.context.now();
    const held = this.held.get(entry.server);
    if (held?.fingerprint === login.fingerprint && !this.idle(held, now)) {
      held.lastAskedAt = now;
      return held.secret;
    }
    this.readSoon(login);
    return undefined;
  }

  private idle(held: Held, now: number): boolean {
    return now - held.lastAskedAt >= this.context.config.agentIdleMs;
  }

  /** Picks up a changed mapping and forgets every secret whose login changed or went. */
  private followMapping(): void {
    const mapping = this.watcher.changed();
    if (!mapping) return;
    this.logins = new Map(
      mapping.entries
        .filter(agentServes)
        .map((entry) => [entry.server, { entry, fingerprint: secretFingerprint(entry, this.context.config) }]),
    );
    for (const [server, held] of this.held)
      if (this.logins.get(server)?.fingerprint !== held.fingerprint) this.drop(server, 'its login changed');
  }

  private sweep(): void {
    this.followMapping();
    const now = this.context.now();
    for (const [server, held] of this.held) if (this.idle(held, now)) this.drop(server, 'idle');
  }

  private drop(server: string, why: string): void {
    this.held.delete(server);
    log.debug(`agent: dropped the secret of ${server} (${why})`);
  }

  private dropStore(store: StoreName, why: string): void {
    for (const [server, held] of this.held) if (held.entry.store === store) this.drop(server, why);
  }

  /** After the answer has gone out: a keychain read holds the daemon's thread while it waits for D-Bus. */
  private readSoon(login: Login): void {
    const { entry, fingerprint } = login;
    if (this.reading.has(entry.server)) return;
    this.reading.add(entry.server);
    setImmediate(async () => {
      try {
        const secret = await readStoredSecret(this.context, entry, `the login for ${entry.serverURL}`);
        this.followMapping();
        if (this.logins.get(entry.server)?.fingerprint !== fingerprint) return; // changed while reading
        if (secret.length > MAX_AGENT_SECRET_CHARS || entry.username.length > MAX_AGENT_USERNAME_CHARS) return;
        registerSecret(secret);
        this.held.set(entry.server, { entry, fingerprint, secret, lastAskedAt: this.context.now() });
      } catch (error) {
        // The store would not give it now (locked, unreachable): nothing read from it may outlive that.
        log.info(`agent: cannot read the secret of ${entry.server}: ${describeError(error)}`);
        this.dropStore(entry.store, `its ${entry.store} store failed`);
      } finally {
        this.reading.delete(entry.server);
      }
    });
  }
}
