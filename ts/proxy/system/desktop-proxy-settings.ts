// The settings a desktop stores (GNOME's org.gnome.system.proxy, KDE's kioslaverc), in one shape,
// and the proxy configuration Chromium derives from them (ProxyConfigServiceLinux's
// GetConfigFromSettings). Readers fill DesktopProxySettings; configFromDesktopSettings() decides.
import { parseProxyUri } from '../proxy-server';
import { ProxyRules } from '../proxy-rules';
import { ProxyChoice, ProxyServer } from '../types';

export type ProxySchemeKey = 'http' | 'https' | 'ftp' | 'socks';

export interface DesktopProxySettings {
  store: 'gsettings' | 'kioslaverc';
  /** 'none' | 'manual' | 'auto'; undefined when the store had no mode (then: environment). */
  mode?: string;
  autoconfigUrl?: string;
  /** Host per scheme as stored: GNOME keeps the port apart, KDE writes `host:port` or `host port`. */
  hosts: Partial<Record<ProxySchemeKey, string>>;
  ports: Partial<Record<ProxySchemeKey, number>>;
  ignoreHosts?: string[];
  /** KDE: a bypass entry `example.com` means `*example.com`. */
  suffixMatching: boolean;
  /** KDE's ReversedException: the list names the hosts that DO use the proxy. */
  reversedBypass: boolean;
  /** GNOME's org.gnome.system.proxy.http use-authentication / authentication-user / -password. */
  httpCredentials?: { username: string; password: string };
}

export type DesktopProxyConfig =
  | { kind: 'direct' }
  | { kind: 'pac'; url: string }
  | { kind: 'auto_detect' }
  | { kind: 'rules'; rules: ProxyRules; bypass: string; reverseBypass: boolean };

/** Chromium's FixupProxyHostScheme + ProxyServer::FromURI for one stored host. */
function proxyFromSetting(settings: DesktopProxySettings, key: ProxySchemeKey): ProxyServer | null {
  let host = settings.hosts[key]?.trim() ?? '';
  if (host === '') return null;
  const port = settings.ports[key] ?? 0;
  if (port !== 0) host += `:${port}`;
  let scheme: ProxyServer['scheme'] = key === 'socks' ? 'socks5' : 'http';
  if (scheme === 'socks5' && /^socks4:\/\//i.test(host)) scheme = 'socks4';
  const sep = host.indexOf('://');
  if (sep !== -1) host = host.slice(sep + 3); // any other written scheme is dropped, as Chromium does
  const at = host.indexOf('@');
  if (at !== -1) host = host.slice(at + 1); // credentials in the host setting are ignored
  if (host.endsWith('/')) host = host.slice(0, -1);
  const choice = parseProxyUri(scheme === 'http' ? host : `${scheme}://${host}`, 'http');
  return choice?.kind === 'proxy' ? choice.server : null;
}

/** KDE's suffix matching (Chromium's RewriteRulesForSuffixMatching): host patterns get a leading '*'. */
function suffixRule(rule: string): string {
  const sep = rule.indexOf('://');
  const scheme = sep === -1 ? '' : rule.slice(0, sep + 3);
  const rest = sep === -1 ? rule : rule.slice(sep + 3);
  if (rest === '' || rest.startsWith('*') || rest.startsWith('<') || rest.startsWith('[') || rest.includes('/')) return rule;
  if (/^[\d.]+(:\d+)?$/.test(rest) || rest.includes('::')) return rule; // IP literals stay exact
  return `${scheme}*${rest}`;
}

/**
 * What Chromium makes of the stored settings; null when they do not describe a configuration
 * (no mode, unknown mode, manual without a usable proxy, invalid PAC URL): then the environment
 * variables apply.
 */
export function configFromDesktopSettings(settings: DesktopProxySettings): DesktopProxyConfig | null {
  switch (settings.mode) {
    case undefined:
      return null;
    case 'none':
      return { kind: 'direct' };
    case 'auto': {
      let url = settings.autoconfigUrl ?? '';
      if (url === '') return { kind: 'auto_detect' };
      if (url.startsWith('/')) url = `file://${url}`;
      try {
        return { kind: 'pac', url: new URL(url).href };
      } catch {
        return null;
      }
    }
    case 'manual':
      break;
    default:
      return null;
  }
  // GNOME's use-same-proxy and http.enabled are not read: Chromium ignores both, because GNOME's
  // own settings panel never sets them to false (it writes each scheme's host instead).
  const http = proxyFromSetting(settings, 'http');
  const https = proxyFromSetting(settings, 'https');
  const ftp = proxyFromSetting(settings, 'ftp');
  const socks = proxyFromSetting(settings, 'socks');
  if (http && settings.httpCredentials && settings.httpCredentials.username !== '') {
    http.username = settings.httpCredentials.username;
    http.password = settings.httpCredentials.password;
  }
  const list = (s: ProxyServer | null): ProxyChoice[] => (s ? [{ kind: 'proxy', server: s }] : []);
  const count = [http, https, ftp, socks].filter((s) => s !== null).length;
  if (count === 0) return null;
  const rules: ProxyRules =
    socks && count === 1
      ? { single: list(socks), http: [], https: [], ftp: [], fallback: [] }
      : { single: null, http: list(http), https: list(https), ftp: list(ftp), fallback: list(socks) };
  let entries = (settings.ignoreHosts ?? []).map((e) => e.trim()).filter((e) => e !== '');
  if (settings.suffixMatching) entries = entries.map(suffixRule);
  return { kind: 'rules', rules, bypass: entries.join(','), reverseBypass: settings.reversedBypass };
}
