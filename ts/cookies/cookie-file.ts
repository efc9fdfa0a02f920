// A persistent session's cookies on disk: <storagePath>/Cookies (JSON). The file is replaced
// atomically (write a temporary file, fsync it, rename it over the old one, fsync the directory),
// so a crash at any moment leaves either the previous or the next complete store. Writes are
// batched: at most one a second after a change, plus flushStore() and process exit. A lock file
// keeps a second process away from the same storage path. Session cookies are never written
// (Chromium does not restore them either).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Cookie } from 'tough-cookie';
import type { CookieStore } from './cookie-store';

export const COOKIE_FILE = 'Cookies';
export const LOCK_FILE = 'curl-net.lock';
const FORMAT = 'curl-net cookies';
const VERSION = 1;
/** At most one batched write per this many milliseconds. */
export const WRITE_INTERVAL_MS = 1000;

export interface CookieFileContents {
  cookies: Cookie[];
}

/** Reads a cookie file: null when there is none; throws when it is not a complete store. */
export function readCookieFile(file: string): CookieFileContents | null {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  const parsed = JSON.parse(text) as { format?: unknown; version?: unknown; cookies?: unknown };
  if (parsed === null || typeof parsed !== 'object' || parsed.format !== FORMAT || parsed.version !== VERSION || !Array.isArray(parsed.cookies)) {
    throw new Error('not a curl-net cookie store');
  }
  const cookies: Cookie[] = [];
  for (const entry of parsed.cookies) {
    const cookie = Cookie.fromJSON(entry);
    if (cookie === undefined || !cookie.domain || !cookie.path) throw new Error('a cookie entry is malformed');
    cookies.push(cookie);
  }
  return { cookies };
}

function serialise(store: CookieStore): string {
  const cookies = store.all().filter((cookie) => cookie.isPersistent());
  return JSON.stringify({ format: FORMAT, version: VERSION, cookies: cookies.map((cookie) => cookie.toJSON()) });
}

/** Writes `data` to `file` so that readers see the old or the new contents, never a mix. */
export function writeFileAtomically(file: string, data: string): void {
  const temporary = `${file}.tmp-${process.pid}`;
  const fd = fs.openSync(temporary, 'w', 0o600);
  try {
    fs.writeSync(fd, data);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(temporary, file);
  // The rename itself is durable once the directory is.
  try {
    const dir = fs.openSync(path.dirname(file), 'r');
    try {
      fs.fsyncSync(dir);
    } finally {
      fs.closeSync(dir);
    }
  } catch {
    // Some platforms (Windows) cannot open a directory; the rename is still atomic there.
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Takes <dir>/curl-net.lock for this process, or throws naming the process that holds it. A
 * lock whose process is gone (killed) is taken over. */
export function takeLock(directory: string): string {
  const lock = path.join(directory, LOCK_FILE);
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = fs.openSync(lock, 'wx', 0o600);
      fs.writeSync(fd, String(process.pid));
      fs.closeSync(fd);
      return lock;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    let holder = NaN;
    try {
      holder = Number.parseInt(fs.readFileSync(lock, 'utf8'), 10);
    } catch {
      // Being written or removed right now: look again.
    }
    if (Number.isInteger(holder) && holder > 0 && (holder === process.pid || processAlive(holder))) {
      throw new Error(
        `The storage path ${directory} is in use by another ${holder === process.pid ? 'session of this process' : `process (pid ${holder})`}; ` +
          'two sessions cannot share one storage path',
      );
    }
    try {
      fs.unlinkSync(lock);
    } catch {
      // Someone else took it over first: the next attempt finds out who.
    }
  }
  throw new Error(`Could not take the lock file ${lock}`);
}

const open = new Set<CookieFile>();
let exitHookInstalled = false;

function onExit(): void {
  for (const file of open) file.close();
}

export class CookieFile {
  readonly file: string;
  private readonly _lock: string;
  private _dirty = false;
  private _timer: NodeJS.Timeout | null = null;
  private _lastWrite = 0;
  private _closed = false;

  /** Opens the store at `directory` (creating it), takes its lock and loads `store` from it. A
   * file that cannot be read is moved aside with a warning and the store starts empty. */
  constructor(
    readonly directory: string,
    private readonly _store: CookieStore,
  ) {
    fs.mkdirSync(directory, { recursive: true, mode: 0o700 });
    this._lock = takeLock(directory);
    this.file = path.join(directory, COOKIE_FILE);
    removeStaleTemporaries(directory);
    let contents: CookieFileContents | null = null;
    try {
      contents = readCookieFile(this.file);
    } catch (error) {
      const aside = `${this.file}.corrupt-${Date.now()}`;
      try {
        fs.renameSync(this.file, aside);
      } catch {
        // Could not move it: it is overwritten by the next write.
      }
      process.emitWarning(
        `curl-net: the cookie store ${this.file} could not be read (${(error as Error).message}); it was moved to ${aside} and the session starts with no cookies`,
        'CurlNetWarning',
      );
    }
    if (contents !== null) _store.restore(contents.cookies);
    _store.onChange(() => this._changed());
    open.add(this);
    if (!exitHookInstalled) {
      exitHookInstalled = true;
      process.on('exit', onExit);
    }
  }

  private _changed(): void {
    this._dirty = true;
    if (this._timer !== null || this._closed) return;
    const wait = Math.max(0, this._lastWrite + WRITE_INTERVAL_MS - Date.now());
    this._timer = setTimeout(() => {
      this._timer = null;
      this._writeNow();
    }, wait);
    // Pending cookies do not keep the process alive: exit writes them.
    this._timer.unref();
  }

  /** flushStore(): pending changes are on disk when this resolves. */
  flush(): Promise<void> {
    try {
      this._writeNow();
      return Promise.resolve();
    } catch (error) {
      return Promise.reject(error);
    }
  }

  private _writeNow(): void {
    if (!this._dirty || this._closed) return;
    this._dirty = false;
    this._lastWrite = Date.now();
    try {
      writeFileAtomically(this.file, serialise(this._store));
    } catch (error) {
      this._dirty = true;
      throw error;
    }
  }

  /** Writes what is pending and lets go of the lock (process exit). */
  close(): void {
    if (this._closed) return;
    if (this._timer !== null) clearTimeout(this._timer);
    this._timer = null;
    try {
      this._writeNow();
    } catch (error) {
      process.emitWarning(`curl-net: could not write the cookie store ${this.file}: ${(error as Error).message}`, 'CurlNetWarning');
    }
    this._closed = true;
    open.delete(this);
    try {
      fs.unlinkSync(this._lock);
    } catch {
      // Already gone.
    }
  }
}

/** Temporary files of a writer that was killed before its rename. */
function removeStaleTemporaries(directory: string): void {
  for (const name of fs.readdirSync(directory)) {
    if (name.startsWith(`${COOKIE_FILE}.tmp-`)) {
      try {
        fs.unlinkSync(path.join(directory, name));
      } catch {
        // Another process's? It holds no lock on this directory, so it is stale anyway.
      }
    }
  }
}
