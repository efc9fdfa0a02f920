// Small helpers to drive a ClientRequest to completion and record what it emitted.
import type { ClientRequest, IncomingMessage, NetError } from '../../ts/index';

export interface Outcome {
  response: IncomingMessage;
  body: Buffer;
}

/** Resolves with the response and its whole body, rejects on the first request error. */
export function collect(request: ClientRequest): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    request.on('error', reject);
    request.on('response', (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (c: Buffer) => chunks.push(c));
      response.on('error', reject);
      response.on('end', () => resolve({ response, body: Buffer.concat(chunks) }));
    });
  });
}

/** Records request and response events in order as 'req:name' / 'res:name'. */
export class EventLog {
  readonly events: string[] = [];
  private readonly waiters: Array<{ name: string; resolve: () => void }> = [];

  constructor(request: ClientRequest, readBody = true) {
    for (const name of ['finish', 'close', 'abort', 'error', 'redirect', 'login']) {
      request.on(name, () => this.add(`req:${name}`));
    }
    request.on('response', (response: IncomingMessage) => {
      this.add('req:response');
      for (const name of ['end', 'close', 'error', 'aborted']) response.on(name, () => this.add(`res:${name}`));
      if (readBody) response.on('data', () => this.add('res:data'));
    });
  }

  add(event: string): void {
    // Consecutive data events are one entry: how many chunks arrive is not a contract.
    if (event === 'res:data' && this.events[this.events.length - 1] === 'res:data') return;
    this.events.push(event);
    for (let i = this.waiters.length - 1; i >= 0; i--) {
      if (this.waiters[i].name === event) this.waiters.splice(i, 1)[0].resolve();
    }
  }

  /** Resolves once `event` has been seen (now or later). */
  waitFor(event: string): Promise<void> {
    if (this.events.includes(event)) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ name: event, resolve }));
  }
}

export const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** Lets pending nextTicks, microtasks and immediates run. */
export const settle = () => new Promise((resolve) => setTimeout(resolve, 50));

/** Ends the request; resolves with its body as text, or with the error it failed with. */
export function bodyOrError(request: ClientRequest): Promise<{ body?: string; error?: NetError }> {
  return new Promise((resolve) => {
    request.on('error', (error) => resolve({ error: error as NetError }));
    request.on('response', (response) => {
      let body = '';
      response.on('data', (chunk: Buffer) => (body += chunk));
      response.on('end', () => resolve({ body }));
    });
    request.end();
  });
}
