// Chromium's shared compression dictionaries (Compression Dictionary Transport: `dcb`/`dcz`
// content codings) are not implemented, so a session never holds one: the methods Electron
// offers to inspect and clear them answer with nothing, after checking their options as
// Electron does (ported code that calls them, e.g. on logout, keeps working).

/** Electron's SharedDictionaryInfo (never produced: there are no dictionaries). */
export interface SharedDictionaryInfo {
  match: string;
  matchDestinations: string[];
  id: string;
  dictionaryUrl: string;
  lastFetchTime: Date;
  responseTime: Date;
  expirationDuration: number;
  lastUsedTime: Date;
  size: number;
  hash: string;
}

/** Electron's SharedDictionaryUsageInfo (never produced). */
export interface SharedDictionaryUsageInfo {
  frameOrigin: string;
  topFrameSite: string;
  totalSizeBytes: number;
}

/** The isolation key of a dictionary: Electron's options for the per-key calls. */
export interface SharedDictionaryIsolationKey {
  frameOrigin: string;
  topFrameSite: string;
}

/** Electron's checks on an isolation key, as the rejection they cause (null: valid). */
export function isolationKeyProblem(options: unknown, missingMessage: string): Error | null {
  if (typeof options !== 'object' || options === null) {
    return new TypeError(`Error processing argument at index 0, conversion failure from ${String(options)}`);
  }
  const { frameOrigin, topFrameSite } = options as Record<string, unknown>;
  if (typeof frameOrigin !== 'string' || typeof topFrameSite !== 'string') return new Error(missingMessage);
  if (!URL.canParse(frameOrigin) || !URL.canParse(topFrameSite)) {
    return new Error('Invalid URLs provided for frameOrigin or topFrameSite');
  }
  return null;
}
