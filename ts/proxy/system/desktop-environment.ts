// Which desktop's proxy settings `mode: 'system'` reads on Linux, decided from the environment
// the way Chromium's base::nix::GetDesktopEnvironment does: XDG_CURRENT_DESKTOP (a ':'-list in
// priority order), then DESKTOP_SESSION, then GNOME_DESKTOP_SESSION_ID / KDE_FULL_SESSION.
// Chromium then reads GSettings for Cinnamon, Deepin, GNOME, Pantheon, UKUI and Unity, KDE's
// kioslaverc for KDE 3 to 6, and only the environment variables for everything else.

export type DesktopEnvironment =
  | 'cinnamon'
  | 'deepin'
  | 'gnome'
  | 'kde3'
  | 'kde4'
  | 'kde5'
  | 'kde6'
  | 'pantheon'
  | 'ukui'
  | 'unity'
  | 'xfce'
  | 'lxqt'
  | 'other';

/** Where a desktop keeps its proxy settings, as far as Chromium is concerned. */
export type ProxySettingsStore = 'gsettings' | 'kioslaverc' | 'env';

export function detectDesktopEnvironment(env: NodeJS.ProcessEnv): DesktopEnvironment {
  const current = env.XDG_CURRENT_DESKTOP;
  if (current !== undefined) {
    for (const value of current.split(':').map((v) => v.trim()).filter((v) => v !== '')) {
      switch (value) {
        case 'Unity':
          // gnome-fallback sessions announce themselves as Unity.
          return (env.DESKTOP_SESSION ?? '').includes('gnome-fallback') ? 'gnome' : 'unity';
        case 'Deepin':
          return 'deepin';
        case 'GNOME':
          return 'gnome';
        case 'X-Cinnamon':
          return 'cinnamon';
        case 'KDE': {
          const version = env.KDE_SESSION_VERSION;
          return version === '5' ? 'kde5' : version === '6' ? 'kde6' : 'kde4';
        }
        case 'Pantheon':
          return 'pantheon';
        case 'XFCE':
          return 'xfce';
        case 'UKUI':
          return 'ukui';
        case 'LXQt':
          return 'lxqt';
        default:
          break;
      }
    }
  }
  const session = env.DESKTOP_SESSION;
  if (session !== undefined) {
    if (session === 'deepin') return 'deepin';
    if (session === 'gnome' || session === 'mate') return 'gnome';
    if (session === 'kde4' || session === 'kde-plasma') return 'kde4';
    if (session === 'kde') return env.KDE_SESSION_VERSION !== undefined ? 'kde4' : 'kde3';
    if (session.includes('xfce') || session === 'xubuntu') return 'xfce';
    if (session === 'ukui') return 'ukui';
  }
  if (env.GNOME_DESKTOP_SESSION_ID !== undefined) return 'gnome';
  if (env.KDE_FULL_SESSION !== undefined) return env.KDE_SESSION_VERSION !== undefined ? 'kde4' : 'kde3';
  return 'other';
}

export function proxySettingsStore(desktop: DesktopEnvironment): ProxySettingsStore {
  switch (desktop) {
    case 'cinnamon':
    case 'deepin':
    case 'gnome':
    case 'pantheon':
    case 'ukui':
    case 'unity':
      return 'gsettings';
    case 'kde3':
    case 'kde4':
    case 'kde5':
    case 'kde6':
      return 'kioslaverc';
    default:
      return 'env';
  }
}
