// Session.enableNetworkEmulation(): Electron's offline / latency / throughput conditions, with
// its argument handling (non-numbers and negatives are ignored, as its dictionary conversion
// does). Applied per hop by ts/stages/session-conditions.ts.

export interface NetworkEmulationOptions {
  /** Whether to emulate a network outage. Default false. */
  offline?: boolean;
  /** Round trip time in ms. Default 0 (none). */
  latency?: number;
  /** Download rate in bytes per second. Default 0 (no cap). */
  downloadThroughput?: number;
  /** Upload rate in bytes per second. Default 0 (no cap). */
  uploadThroughput?: number;
}

export interface NetworkConditions {
  readonly offline: boolean;
  readonly latency: number;
  readonly downloadThroughput: number;
  readonly uploadThroughput: number;
}

export const NO_EMULATION: NetworkConditions = Object.freeze({ offline: false, latency: 0, downloadThroughput: 0, uploadThroughput: 0 });

function nonNegative(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : 0;
}

export function networkConditions(options: NetworkEmulationOptions): NetworkConditions {
  if (typeof options !== 'object' || options === null) throw new TypeError('Expected an options object');
  return Object.freeze({
    offline: options.offline === true,
    latency: nonNegative(options.latency),
    downloadThroughput: Math.round(nonNegative(options.downloadThroughput)),
    uploadThroughput: Math.round(nonNegative(options.uploadThroughput)),
  });
}
