// How a session picks the proxy for a hop. The decision is made in TS (Electron's ProxyConfig
// semantics, ts/proxy/); libcurl is told exactly which proxy to use, or "" for a direct
// connection, so the environment never applies behind the application's back.
import { curlProxyUrl, ProxyChoice, ProxyConfig, ProxyResolver, ProxyServer } from './proxy';
import { switchesVersion } from './switches/command-line';
import { networkSwitches } from './switches/network-switches';

/** The proxy a hop goes through, in the form the native layer takes. */
export interface ProxyHop {
  /** libcurl proxy URL; '' for a direct connection. */
  url: string;
  /** The proxy's identity (login 'authInfo', auth cache); undefined when direct. */
  host?: string;
  port?: number;
  scheme?: ProxyServer['scheme'];
  /** Credentials that came with the proxy setting itself (environment variables). */
  username?: string;
  password?: string;
  /** The resolver's entry, to report a failure against. */
  server?: ProxyServer;
}

export const DIRECT_HOP: ProxyHop = Object.freeze({ url: '' });
const DIRECT_PLAN: ProxyHop[] = Object.freeze([DIRECT_HOP]) as ProxyHop[];

export function toProxyHop(choice: ProxyChoice): ProxyHop {
  if (choice.kind === 'direct') return DIRECT_HOP;
  const server = choice.server;
  return {
    url: curlProxyUrl(choice),
    host: server.host,
    port: server.port,
    scheme: server.scheme,
    username: server.username,
    password: server.password,
    server,
  };
}

/** Net errors after which Chromium tries the next proxy in the list: the proxy itself could
 * not be used, and nothing was received from the origin. */
const FALLBACK_ERRORS = new Set([
  'ERR_PROXY_CONNECTION_FAILED',
  'ERR_SOCKS_CONNECTION_FAILED',
  'ERR_PROXY_CERTIFICATE_INVALID',
  'ERR_SSL_PROTOCOL_ERROR',
  'ERR_CONNECTION_REFUSED',
  'ERR_CONNECTION_RESET',
  'ERR_CONNECTION_CLOSED',
  'ERR_CONNECTION_TIMED_OUT',
  'ERR_NAME_NOT_RESOLVED',
  'ERR_ADDRESS_UNREACHABLE',
]);

export function canFallBackAfter(code: string, hop: ProxyHop): boolean {
  return hop.host !== undefined && FALLBACK_ERRORS.has(code);
}

/** A session's proxy configuration: Electron's default is the system's settings. */
export class SessionProxy {
  private _resolver: ProxyResolver | null = null;
  /** What setProxy() set; null while the application never set one: then the proxy switches
   * (--proxy-server, --proxy-pac-url, …) apply, else Electron's default, the system's settings. */
  private _config: ProxyConfig | null = null;
  /** switchesVersion() when the default configuration was last applied. */
  private _defaultVersion = -1;
  private _direct = false;
  /** No setConfig() is being applied (resolveSync answers for the current config). */
  private _settled = true;
  /** Plans by origin, for configurations that do not ask a PAC script: they only depend on
   * scheme, host and port. Only single-entry plans are kept, so the bad-proxy ordering of
   * failover lists is never stale. Cleared whenever the configuration changes. */
  private readonly _byOrigin = new Map<string, ProxyHop[]>();

  private resolver(): ProxyResolver {
    if (this._resolver === null) {
      // A change to the desktop's proxy settings found by polling makes cached plans stale.
      this._resolver = new ProxyResolver({ onSystemConfigChange: () => this._byOrigin.clear() });
      this._applyDefault(this._resolver);
    }
    return this._resolver;
  }

  /** Where the configuration in force comes from, for logs: 'setProxy:<mode>',
   * 'switches:<mode>', or 'system:<gsettings|kioslaverc|env>'. */
  describeSource(): string {
    if (this._config !== null) return `setProxy:${this._config.mode ?? (this._config.pacScript ? 'pac_script' : 'fixed_servers')}`;
    const fromSwitches = networkSwitches().proxyConfig;
    if (fromSwitches !== null) return `switches:${fromSwitches.mode}`;
    return `system:${this._resolver?.systemSettingsSource ?? 'env'}`;
  }

  /** Switches changed since the default configuration was applied: apply it again. */
  private _refreshDefault(): void {
    if (this._config === null && this._resolver !== null && this._defaultVersion !== switchesVersion()) this._applyDefault(this._resolver);
  }

  private _effectiveConfig(): ProxyConfig {
    return this._config ?? networkSwitches().proxyConfig ?? { mode: 'system' };
  }

  private _applyDefault(resolver: ProxyResolver): void {
    this._defaultVersion = switchesVersion();
    const config = this._effectiveConfig();
    this._byOrigin.clear();
    this._direct = config.mode === 'direct';
    resolver.setConfig(config).catch(() => {}); // the switches' configs never reject
  }

  setConfig(config: ProxyConfig): Promise<void> {
    this._settled = false;
    this._byOrigin.clear();
    const applied = this.resolver().setConfig(config);
    const settle = () => {
      this._settled = true;
    };
    return applied.then(
      () => {
        settle();
        this._config = { ...config };
        this._direct = (config.mode ?? (config.pacScript ? 'pac_script' : 'fixed_servers')) === 'direct';
      },
      (error: unknown) => {
        settle();
        throw error;
      },
    );
  }

  reload(): Promise<void> {
    this._byOrigin.clear();
    return this.resolver().setConfig(this._effectiveConfig());
  }

  /** Ordered failover list for one hop. Synchronous unless a PAC script must be asked. */
  plan(url: URL): ProxyHop[] | Promise<ProxyHop[]> {
    this._refreshDefault();
    if (this._direct) return DIRECT_PLAN;
    const origin = `${url.protocol}//${url.host}`;
    const known = this._byOrigin.get(origin);
    if (known !== undefined) return known;
    const resolver = this.resolver();
    const now = this._settled ? resolver.resolveSync(url) : null;
    if (now === null) return resolver.resolve(url.href).then((choices) => choices.map(toProxyHop));
    const plan = now.length === 1 && now[0].kind === 'direct' ? DIRECT_PLAN : now.map(toProxyHop);
    if (plan.length === 1 && this._byOrigin.size < 4096) this._byOrigin.set(origin, plan);
    return plan;
  }

  resolve(url: string): Promise<ProxyChoice[]> {
    this._refreshDefault();
    return this.resolver().resolve(url);
  }

  failed(hop: ProxyHop): void {
    if (hop.server !== undefined) this.resolver().markFailed(hop.server);
    this._byOrigin.clear();
  }

  close(): void {
    this._resolver?.close();
  }
}

