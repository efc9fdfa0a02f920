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

/** Stable text of a reading, to tell whether a poll found a change. */
export function readingKey(reading: DesktopProxyReading | null): string {
  return JSON.stringify(reading);
}
