// Electron types each event on every listener method; one shape for ClientRequest and
// IncomingMessage (and any later emitter): the known events with their listener types, then
// any other event name as EventEmitter allows.
export type EventMethod<Events, Self> = {
  <E extends keyof Events>(event: E, listener: Events[E]): Self;
  (event: string | symbol, listener: (...args: any[]) => void): Self;
};
