// Where persistent sessions keep their data. Electron uses the app's userData directory; a Node
// library has no app, so curl-net has its own data directory: setUserDataPath() wins, then the
// CURL_NET_USER_DATA_DIR environment variable, then a per-platform default (docs/api.md).
import * as os from 'node:os';
import * as path from 'node:path';

export const USER_DATA_ENV = 'CURL_NET_USER_DATA_DIR';

let override: string | undefined;

/** curl-net extension (Electron: app.setPath('userData', …)). Sessions created afterwards use
 * it; existing ones keep their storage path. */
export function setUserDataPath(directory: string): void {
  if (typeof directory !== 'string' || directory === '') throw new TypeError('The user data path must be a non-empty string');
  if (!path.isAbsolute(directory)) throw new Error('An absolute path was not provided');
  override = path.resolve(directory);
}

export function getUserDataPath(): string {
  if (override !== undefined) return override;
  const fromEnv = process.env[USER_DATA_ENV];
  if (fromEnv !== undefined && fromEnv !== '') return path.resolve(fromEnv);
  return defaultUserDataPath(process.platform, process.env, os.homedir());
}

/** Electron's userData default for an app named "curl-net". */
export function defaultUserDataPath(platform: NodeJS.Platform, env: NodeJS.ProcessEnv, home: string): string {
  if (platform === 'win32') return path.win32.join(env.APPDATA || path.win32.join(home, 'AppData', 'Roaming'), 'curl-net');
  if (platform === 'darwin') return path.posix.join(home, 'Library', 'Application Support', 'curl-net');
  return path.posix.join(env.XDG_CONFIG_HOME || path.posix.join(home, '.config'), 'curl-net');
}

/** `persist:NAME` lives in <userData>/Partitions/<name>, lowercased as Electron does and escaped
 * so that no name can leave the Partitions directory ('..', '/', '\'). */
export function partitionStoragePath(name: string): string {
  const escaped = encodeURIComponent(name.toLowerCase()).replace(/\./g, '%2E').replace(/\*/g, '%2A');
  return path.join(getUserDataPath(), 'Partitions', escaped === '' ? '%00' : escaped);
}
