// ProxyResolver: Electron's ProxyConfig semantics, answered per URL (per hop) as an ordered
// failover list. The request layer tries the entries in order, calls markFailed() for a proxy
// it could not connect to, and hands curlProxyUrl(choice) to the native side.
import { BadProxyList, BAD_PROXY_MS } from './bad-proxies';
import { BypassRules, matchesImplicitBypass } from './bypass-rules';
import { envProxyForUrl, EnvProxySettings, readEnvProxySettings } from './env-proxy';
import { defaultFetchPac } from './pac-fetch';
import { PacEvaluator } from './pac-evaluator';
import { parsePacEntries } from './pac-result';
import { parseProxyRules, ProxyRules, rulesAreEmpty, rulesForUrl } from './proxy-rules';
import { parseTargetUrl, sanitizedPacUrl, TargetUrl } from './target-url';
import { ProxyChoice, ProxyConfig, ProxyMode, ProxyServer } from './types';
import { DesktopProxyReading, pollDesktopProxyConfig, readDesktopProxyConfig, readingKey, usesDesktopStore } from './system';

export interface ProxyResolverOptions {
  /** Fetches a PAC script; default: node:http/https (never proxied), file:, data:. */
  fetchPac?: (url: string) => Promise<string>;
  /** Environment for `mode: 'system'`; default process.env. Read at setConfig() time. */
  env?: NodeJS.ProcessEnv;
  /** Time limit for one FindProxyForURL call, DNS waits included. Default 5000 ms. */
  pacTimeoutMs?: number;
  /** Time limit for one DNS question asked by a PAC script. Default 2000 ms. */
  pacDnsTimeoutMs?: number;
  /** Time limit for fetching a PAC script. Default 30000 ms (WPAD: 5000 ms). */
  pacFetchTimeoutMs?: number;
  /**
   * `mode: 'system'` with a GNOME-like or KDE desktop: how often the desktop's settings are read
   * again, in ms (0: never; forceReloadProxyConfig() always reads them). Default 10000, the
   * interval of Chromium's PollingProxyConfigService (Chromium's Linux reader is told of changes
   * by GSettings signals and inotify instead; see docs/proxy.md).
   */
  systemPollMs?: number;
  /** The GSettings tool; default `gsettings` from PATH. */
  gsettingsCommand?: string;
  /** Called when polling finds that the system settings changed (and were applied). */
  onSystemConfigChange?: () => void;
}

export const SYSTEM_POLL_MS = 10_000;

export const WPAD_URL = 'http://wpad/wpad.dat';
export const INVALID_MODE_MESSAGE = 'Invalid mode, must be one of direct, auto_detect, pac_script, fixed_servers or system';
const MODES: readonly ProxyMode[] = ['direct', 'auto_detect', 'pac_script', 'fixed_servers', 'system'];
const PAC_CACHE_LIMIT = 1000;
/** After a PAC script could not be fetched or loaded, retry on demand after these delays. */
const PAC_RETRY_DELAYS_MS = [4_000, 16_000, 64_000, 256_000];

interface PacSource {
  kind: 'pac';
  url: string;
  wpad: boolean;
  evaluator: PacEvaluator | null;
  error: Error | null;
  attempts: number;
  retryAt: number;
  loading: Promise<void> | null;
  cache: Map<string, ProxyChoice[]>;
}

type State =
  | { kind: 'direct' }
  | { kind: 'rules'; rules: ProxyRules; bypass: BypassRules; reverseBypass?: boolean }
  | { kind: 'env'; settings: EnvProxySettings }
  /** `mode: 'system'` while the desktop's settings are being read. */
  | { kind: 'loading' }
  | PacSource;

export class ProxyResolver {
  private state: State = { kind: 'direct' };
  private ready: Promise<void> = Promise.resolve();
  private readonly bad = new BadProxyList();
  private readonly pacTimeoutMs: number;
  private readonly pacDnsTimeoutMs: number;
  private lastPacError: Error | null = null;
  /** Bumped by every setConfig(): a system read that finishes for an older config is dropped. */
  private generation = 0;
  private systemPoll: NodeJS.Timeout | null = null;
  private systemKey = '';
  private systemSource: DesktopProxyReading['store'] | 'env' | null = null;

  constructor(private readonly options: ProxyResolverOptions = {}) {
    this.pacTimeoutMs = options.pacTimeoutMs ?? 5000;
    this.pacDnsTimeoutMs = options.pacDnsTimeoutMs ?? Math.min(2000, this.pacTimeoutMs);
  }

  /**
   * The most recent reason a PAC script could not be used (fetch failure, script error,
   * timeout, invalid result). Such failures fall back to DIRECT, as Chromium does; this is how
   * callers can tell. Reset by setConfig().
   */
  get pacError(): Error | null {
    return this.lastPacError;
  }

  /** For `mode: 'system'`: where the configuration in force came from ('env' for the proxy
   * environment variables); null for the other modes. */
  get systemSettingsSource(): 'gsettings' | 'kioslaverc' | 'env' | null {
    return this.systemSource;
  }

  /**
   * Applies a ProxyConfig. Rejects (as Electron does) for an unknown mode. For PAC modes it
   * waits until the script has been fetched and loaded; a script that cannot be fetched or
   * loaded does not reject: its URLs resolve to DIRECT (see pacError) and the fetch is retried
   * later. resolve() calls made meanwhile wait for this to finish.
   */
  setConfig(config: ProxyConfig): Promise<void> {
    if (config === null || typeof config !== 'object') {
      return Promise.reject(new TypeError('The proxy config must be an object'));
    }
    const pacScript = typeof config.pacScript === 'string' ? config.pacScript : '';
    const mode = config.mode ?? (pacScript !== '' ? 'pac_script' : 'fixed_servers');
    if (!MODES.includes(mode)) return Promise.reject(new Error(INVALID_MODE_MESSAGE));

    this.disposeState();
    this.bad.clear();
    this.lastPacError = null;
    this.generation++;
    this.stopSystemPoll();
    this.systemSource = null;
    switch (mode) {
      case 'direct':
        this.state = { kind: 'direct' };
        break;
      case 'fixed_servers':
        this.state = {
          kind: 'rules',
          rules: parseProxyRules(config.proxyRules ?? ''),
          bypass: new BypassRules(config.proxyBypassRules ?? ''),
        };
        break;
      case 'system': {
        const env = this.options.env ?? process.env;
        if (!usesDesktopStore(env)) {
          this.state = { kind: 'env', settings: readEnvProxySettings(env) };
          this.systemSource = 'env';
          break;
        }
        this.state = { kind: 'loading' };
        this.ready = this.loadSystem(env, this.generation);
        return this.ready;
      }
      case 'pac_script':
      case 'auto_detect': {
        const url = mode === 'auto_detect' ? WPAD_URL : pacScript;
        if (url === '') {
          this.state = { kind: 'direct' }; // pac_script without a script: DIRECT (Electron's tests)
          break;
        }
        this.ready = this.startPac(url, mode === 'auto_detect');
        return this.ready;
      }
    }
    this.ready = Promise.resolve();
    return this.ready;
  }

  /** The ordered failover list for `url`; never empty. Rejects with TypeError for an invalid URL. */
  async resolve(url: string): Promise<ProxyChoice[]> {
    await this.ready;
    const target = parseTargetUrl(url);
    const list = await this.listFor(target);
    return this.bad.deprioritize(list.length ? list : [{ kind: 'direct' }]);
  }

  /**
   * The same answer as resolve(), synchronously, when no PAC script is involved (direct,
   * fixed_servers, system); null when only resolve() can answer. Lets the request layer start
   * a hop in the same tick in the common case.
   */
  resolveSync(url: string | URL): ProxyChoice[] | null {
    if (this.state.kind === 'pac' || this.state.kind === 'loading') return null;
    const list = this.listForSync(parseTargetUrl(url));
    return this.bad.deprioritize(list.length ? list : [{ kind: 'direct' }]);
  }

  /**
   * Marks a proxy as bad after a connection-level failure: for BAD_PROXY_MS (5 minutes, as
   * Chromium) it is moved behind the other entries of every list that contains it.
   */
  markFailed(server: ProxyServer): void {
    this.bad.mark(server, BAD_PROXY_MS);
  }

  /**
   * Stops the PAC worker (pending PAC lookups resolve to DIRECT). The resolver stays usable: a
   * later PAC lookup starts a new worker with the same script, without fetching it again.
   */
  close(): void {
    if (this.state.kind === 'pac') this.state.evaluator?.stop();
    this.stopSystemPoll();
  }

  private startPac(url: string, wpad: boolean): Promise<void> {
    const source: PacSource = {
      kind: 'pac',
      url,
      wpad,
      evaluator: null,
      error: null,
      attempts: 0,
      retryAt: 0,
      loading: null,
      cache: new Map(),
    };
    this.state = source;
    // Shared with resolve(): a lookup during the first load waits for it instead of fetching again.
    source.loading = this.loadPac(source);
    return source.loading;
  }

  private async loadSystem(env: NodeJS.ProcessEnv, generation: number): Promise<void> {
    const reading = await readDesktopProxyConfig(env, { command: this.options.gsettingsCommand });
    if (generation !== this.generation) return;
    await this.applySystemReading(reading, env);
    this.startSystemPoll(env, generation);
  }

  /** Puts a reading of the desktop's settings in force (Chromium: GetConfigFromSettings, then
   * the environment when that gives nothing). */
  private applySystemReading(reading: DesktopProxyReading | null, env: NodeJS.ProcessEnv): Promise<void> {
    this.systemKey = readingKey(reading);
    const config = reading?.config ?? null;
    this.systemSource = config === null ? 'env' : reading!.store;
    this.disposeState();
    this.bad.clear();
    if (config === null) {
      this.state = { kind: 'env', settings: readEnvProxySettings(env) };
      return Promise.resolve();
    }
    switch (config.kind) {
      case 'direct':
        this.state = { kind: 'direct' };
        return Promise.resolve();
      case 'rules':
        this.state = { kind: 'rules', rules: config.rules, bypass: new BypassRules(config.bypass), reverseBypass: config.reverseBypass };
        return Promise.resolve();
      case 'pac':
        return this.startPac(config.url, false);
      case 'auto_detect':
        return this.startPac(WPAD_URL, true);
    }
  }

  private startSystemPoll(env: NodeJS.ProcessEnv, generation: number): void {
    const interval = this.options.systemPollMs ?? SYSTEM_POLL_MS;
    if (interval <= 0) return;
    let busy = false;
    this.systemPoll = setInterval(() => {
      if (busy) return;
      busy = true;
      void pollDesktopProxyConfig(env, { command: this.options.gsettingsCommand })
        .then(async (reading) => {
          if (generation !== this.generation || readingKey(reading) === this.systemKey) return;
          const applied = this.applySystemReading(reading, env);
          this.ready = applied;
          await applied;
          this.options.onSystemConfigChange?.();
        })
        .finally(() => {
          busy = false;
        });
    }, interval);
    this.systemPoll.unref();
  }

  private stopSystemPoll(): void {
    if (this.systemPoll !== null) clearInterval(this.systemPoll);
    this.systemPoll = null;
  }

  private disposeState(): void {
    if (this.state.kind === 'pac') this.state.evaluator?.close();
  }

  private async listFor(target: TargetUrl): Promise<ProxyChoice[]> {
    const state = this.state;
    return state.kind === 'pac' ? this.pacListFor(state, target) : this.listForSync(target);
  }

  private listForSync(target: TargetUrl): ProxyChoice[] {
    const state = this.state;
    switch (state.kind) {
      case 'direct':
        return [{ kind: 'direct' }];
      case 'rules': {
        if (rulesAreEmpty(state.rules)) return [{ kind: 'direct' }];
        if (state.reverseBypass ? state.bypass.matchesReversed(target) : state.bypass.matches(target)) return [{ kind: 'direct' }];
        return rulesForUrl(state.rules, target).map(copyChoice);
      }
      case 'env': {
        const server = envProxyForUrl(state.settings, target);
        if (!server || state.settings.noProxy.matches(target) || matchesImplicitBypass(target)) {
          return [{ kind: 'direct' }];
        }
        return [{ kind: 'proxy', server: { ...server } }];
      }
      case 'pac':
      case 'loading':
        return [];
    }
  }

  private async pacListFor(source: PacSource, target: TargetUrl): Promise<ProxyChoice[]> {
    // Chromium never consults the PAC for loopback/link-local destinations.
    if (matchesImplicitBypass(target)) return [{ kind: 'direct' }];
    if (!source.evaluator) {
      if (Date.now() >= source.retryAt) {
        source.loading ??= this.loadPac(source);
        await source.loading;
      }
      if (!source.evaluator) return [{ kind: 'direct' }];
    }
    // PAC scripts see WebSocket URLs as http(s) URLs, as in Chromium.
    let pacTarget = target;
    if (target.scheme === 'ws' || target.scheme === 'wss') {
      const u = new URL(target.url.href);
      u.protocol = target.scheme === 'ws' ? 'http:' : 'https:';
      pacTarget = parseTargetUrl(u);
    }
    const pacUrl = sanitizedPacUrl(pacTarget);
    const cached = source.cache.get(pacUrl);
    if (cached) {
      source.cache.delete(pacUrl); // refresh LRU position
      source.cache.set(pacUrl, cached);
      return cached.map(copyChoice);
    }
    const evaluator = source.evaluator;
    let result: string;
    try {
      result = await evaluator.find(pacUrl, pacTarget.hostNoBrackets);
    } catch (err) {
      // Chromium: when the resolver fails (exception, non-string result) and the PAC is not
      // mandatory, use DIRECT. A timeout is treated the same way. Failures are not cached.
      this.lastPacError = err instanceof Error ? err : new Error(String(err));
      return [{ kind: 'direct' }];
    }
    const list = parsePacEntries(result);
    if (!list) {
      // Chromium: a result with no usable entry counts as a PAC error, hence DIRECT.
      this.lastPacError = new Error(`FindProxyForURL returned no usable entry: ${JSON.stringify(result.slice(0, 200))}`);
      return [{ kind: 'direct' }];
    }
    if (this.state === source) {
      source.cache.set(pacUrl, list);
      if (source.cache.size > PAC_CACHE_LIMIT) source.cache.delete(source.cache.keys().next().value!);
    }
    return list.map(copyChoice);
  }

  private async loadPac(source: PacSource): Promise<void> {
    try {
      source.attempts++;
      const script = await this.fetchScript(source);
      if (this.state !== source) return;
      const evaluator = new PacEvaluator(script, { timeoutMs: this.pacTimeoutMs, dnsTimeoutMs: this.pacDnsTimeoutMs });
      const problem = await evaluator.load();
      if (this.state !== source) {
        evaluator.close();
        return;
      }
      if (problem !== null) {
        evaluator.close();
        throw new Error(`PAC script ${describe(source)} cannot be used: ${problem}`);
      }
      source.evaluator = evaluator;
      source.error = null;
      source.attempts = 0;
    } catch (err) {
      if (this.state !== source) return;
      const error = err instanceof Error ? err : new Error(String(err));
      source.error = error;
      this.lastPacError = error;
      const delay = PAC_RETRY_DELAYS_MS[Math.min(source.attempts, PAC_RETRY_DELAYS_MS.length) - 1]!;
      source.retryAt = Date.now() + delay;
    } finally {
      source.loading = null;
    }
  }

  private async fetchScript(source: PacSource): Promise<string> {
    const timeoutMs = this.options.pacFetchTimeoutMs ?? (source.wpad ? 5000 : 30_000);
    const fetcher = this.options.fetchPac ?? ((url: string) => defaultFetchPac(url, { timeoutMs }));
    let timer: NodeJS.Timeout | undefined;
    try {
      const script = await Promise.race([
        fetcher(source.url),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`Fetching ${describe(source)} timed out after ${timeoutMs} ms`)), timeoutMs);
        }),
      ]);
      if (typeof script !== 'string') throw new TypeError('fetchPac must resolve to a string');
      return script;
    } catch (err) {
      const why = err instanceof Error ? err.message : String(err);
      throw new Error(`Could not fetch ${describe(source)}: ${why}`);
    } finally {
      clearTimeout(timer);
    }
  }
}

function describe(source: PacSource): string {
  const url = source.url.startsWith('data:') ? 'data: URL' : source.url;
  return source.wpad ? `WPAD script ${url}` : `PAC script ${url}`;
}

function copyChoice(c: ProxyChoice): ProxyChoice {
  return c.kind === 'direct' ? { kind: 'direct' } : { kind: 'proxy', server: { ...c.server } };
}
