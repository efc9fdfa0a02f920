// `mode: 'system'` on Linux, as Chromium's ProxyConfigServiceLinux: the desktop's settings
// (GSettings for GNOME-like desktops, kioslaverc for KDE) when the desktop is one of those and
// its settings describe a configuration; otherwise the proxy environment variables.
import { DesktopEnvironment, detectDesktopEnvironment, proxySettingsStore } from './desktop-environment';
import { configFromDesktopSettings, DesktopProxyConfig, DesktopProxySettings } from './desktop-proxy-settings';
import { GSettingsReadOptions, readGSettingsProxySettings } from './gsettings-reader';
import { readKdeProxySettings } from './kioslaverc-reader';

export type { DesktopEnvironment } from './desktop-environment';
export type { DesktopProxyConfig, DesktopProxySettings } from './desktop-proxy-settings';
export { detectDesktopEnvironment, proxySettingsStore } from './desktop-environment';
export { configFromDesktopSettings } from './desktop-proxy-settings';

export interface DesktopProxyReading {
  desktop: DesktopEnvironment;
  store: 'gsettings' | 'kioslaverc';
  /** null: the store had nothing usable, the environment variables apply. */
  config: DesktopProxyConfig | null;
}

/** Whether `mode: 'system'` must read a desktop store for this environment (else: env only). */
export function usesDesktopStore(env: NodeJS.ProcessEnv): boolean {
  return proxySettingsStore(detectDesktopEnvironment(env)) !== 'env';
}

export async function readDesktopProxyConfig(env: NodeJS.ProcessEnv, options: GSettingsReadOptions = {}): Promise<DesktopProxyReading | null> {
  const desktop = detectDesktopEnvironment(env);
  const store = proxySettingsStore(desktop);
  if (store === 'env') return null;
  let settings: DesktopProxySettings | null;
  try {
    settings = store === 'gsettings' ? await readGSettingsProxySettings(env, options) : await readKdeProxySettings(env, desktop);
  } catch {
    settings = null;
  }
  return { desktop, store, config: settings === null ? null : configFromDesktopSettings(settings) };
}

/** Polls of the same environment (every session's resolver polls process.env) within this
 * window share one read, so N sessions do not run N gsettings processes every interval. */
const SHARED_POLL_MS = 1000;
const recentPolls = new WeakMap<NodeJS.ProcessEnv, { at: number; reading: Promise<DesktopProxyReading | null> }>();

/** readDesktopProxyConfig() for polling: shared with polls of the same environment that began
 * less than a second ago. (setConfig() and forceReloadProxyConfig() always read afresh.) */
export function pollDesktopProxyConfig(env: NodeJS.ProcessEnv, options: GSettingsReadOptions = {}): Promise<DesktopProxyReading | null> {
  const recent = recentPolls.get(env);
  const now = Date.now();
  if (recent !== undefined && now - recent.at < SHARED_POLL_MS) return recent.reading;
  const reading = readDesktopProxyConfig(env, options);
  recentPolls.set(env, { at: now, reading });
  return reading;
}

/** Stable text of a reading, to tell whether a poll found a change. */
export function readingKey(reading: DesktopProxyReading | null): string {
  return JSON.stringify(reading);
}
