// Chromium's networking command-line switches, as a process-wide setting. Electron apps pass
// them as `--name=value` arguments or with `app.commandLine.appendSwitch(name, value)`; here the
// same names are set with `commandLine.appendSwitch()` / `configure({ switches })`, or read from
// the process's own arguments with `commandLine.appendArguments()` / `configure({ argv: true })`.
// Only the networking switches have an effect (NETWORK_SWITCHES); others are kept and ignored.
// Effects are derived lazily (network-switches.ts) from a snapshot that changes with `version`.

/** Switches curl-net acts on; Chromium's old `*-whitelist` spellings are accepted as aliases. */
export const NETWORK_SWITCHES = [
  'proxy-server',
  'proxy-bypass-list',
  'proxy-pac-url',
  'proxy-auto-detect',
  'no-proxy-server',
  'host-rules',
  'host-resolver-rules',
  'auth-server-allowlist',
  'auth-negotiate-delegate-allowlist',
  'auth-schemes',
  'ignore-connections-limit',
  'log-net-log',
  'net-log-capture-mode',
] as const;

const ALIASES: Record<string, string> = {
  'auth-server-whitelist': 'auth-server-allowlist',
  'auth-negotiate-delegate-whitelist': 'auth-negotiate-delegate-allowlist',
};

const switches = new Map<string, string>();
let version = 0;
const listeners = new Set<() => void>();

function normalise(name: unknown, index = 0): string {
  if (typeof name !== 'string') throw new TypeError(`Error processing argument at index ${index}, conversion failure from ${typeof name}`);
  const bare = name.replace(/^--?/, '').toLowerCase();
  return ALIASES[bare] ?? bare;
}

function changed(): void {
  version++;
  for (const listener of listeners) listener();
}

/** A change counter: derived settings are recomputed when it moves. */
export function switchesVersion(): number {
  return version;
}

/** Called after every change (e.g. log-net-log starts logging). */
export function onSwitchesChange(listener: () => void): void {
  listeners.add(listener);
}

export function switchValue(name: string): string | undefined {
  return switches.get(name);
}

/** Parses `--name`, `--name=value` arguments (Chromium's form); stops at a bare `--`. */
export function switchesFromArgv(argv: readonly string[]): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const arg of argv) {
    if (arg === '--') break;
    const m = /^--?([A-Za-z0-9][A-Za-z0-9-_.]*)(?:=([\s\S]*))?$/.exec(arg);
    if (m) out.push([m[1]!, m[2] ?? '']);
  }
  return out;
}

/** Electron's `app.commandLine` shape, process-wide. */
export const commandLine = {
  appendSwitch(name: string, value?: string): void {
    const key = normalise(name);
    if (value !== undefined && typeof value !== 'string') throw new TypeError('Error processing argument at index 1, conversion failure from ' + typeof value);
    switches.set(key, value ?? '');
    changed();
  },
  hasSwitch(name: string): boolean {
    return switches.has(normalise(name));
  },
  getSwitchValue(name: string): string {
    return switches.get(normalise(name)) ?? '';
  },
  removeSwitch(name: string): void {
    if (switches.delete(normalise(name))) changed();
  },
  /** Reads `--name[=value]` switches from `argv` (default: process.argv; the node binary and the script path are not switches). */
  appendArguments(argv: readonly string[] = process.argv): void {
    for (const [name, value] of switchesFromArgv(argv)) switches.set(normalise(name), value);
    changed();
  },
};

export interface ConfigureOptions {
  /** Switches by name (no leading dashes); `true` means a switch without a value, `false` or
   * `null` removes it. */
  switches?: Record<string, string | boolean | null>;
  /** true: also read switches from process.argv; an array: from those arguments. */
  argv?: boolean | readonly string[];
}

/** Process-wide networking configuration, in one call. */
export function configure(options: ConfigureOptions): void {
  if (options === null || typeof options !== 'object') throw new TypeError('configure() takes an options object');
  if (options.argv === true) commandLine.appendArguments();
  else if (Array.isArray(options.argv)) commandLine.appendArguments(options.argv);
  for (const [name, value] of Object.entries(options.switches ?? {})) {
    const key = normalise(name);
    if (value === false || value === null) switches.delete(key);
    else if (value === true) switches.set(key, '');
    else if (typeof value === 'string') switches.set(key, value);
    else throw new TypeError(`The value of switch '${name}' must be a string or a boolean`);
  }
  changed();
}

/** Tests only: forget every switch. */
export function resetSwitchesForTesting(): void {
  switches.clear();
  changed();
}
