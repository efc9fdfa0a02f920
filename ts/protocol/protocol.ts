// ses.protocol / protocol: Electron's handle(), unhandle() and isProtocolHandled(). A handler
// answers requests to its scheme — a custom one, or http:/https: (interception) — with a
// WHATWG Response; ts/stages/protocol-handlers.ts serves it as the hop's response.

export type ProtocolHandler = (request: Request) => Response | Promise<Response>;

export class Protocol {
  private readonly _handlers = new Map<string, ProtocolHandler>();

  /** Registers `handler` for `scheme`; a scheme already handled throws, as in Electron. */
  handle(scheme: string, handler: ProtocolHandler): void {
    if (typeof scheme !== 'string') throw new TypeError('`scheme` must be a string');
    if (typeof handler !== 'function') throw new TypeError('`handler` must be a function');
    if (this._handlers.has(scheme)) throw new Error(`Failed to register protocol: ${scheme}`);
    this._handlers.set(scheme, handler);
  }

  unhandle(scheme: string): void {
    if (!this._handlers.delete(scheme)) throw new Error(`Failed to unhandle protocol: ${scheme}`);
  }

  isProtocolHandled(scheme: string): boolean {
    return this._handlers.has(scheme);
  }

  /** @internal The handler for a URL's scheme (without the colon), if any. */
  _handlerFor(scheme: string): ProtocolHandler | undefined {
    return this._handlers.size === 0 ? undefined : this._handlers.get(scheme);
  }
}
