// Protocol handlers (ses.protocol.handle) and file: URLs: a hop to a handled scheme (a custom
// one, or http:/https: intercepted) is answered by the handler instead of libcurl, unless the
// request asked for bypassCustomProtocolHandlers; a file: hop is answered from disk. Early in
// the list, so no proxy is planned for such a hop; the Request the handler gets is built when
// the hop launches, with the headers every later stage (and onBeforeSendHeaders) wrote.
import { fileResponse } from '../protocol/file-response';
import { HandlerHop } from '../protocol/handler-hop';
import type { HopControl, HopDraft, Stage } from './stage';

export function protocolHandlers(control: HopControl): Stage | null {
  const state = control.state;
  // Nothing to answer here: no handlers, an http(s) URL, and no onBeforeRequest that could
  // redirect to another scheme (a server's redirect to file: is refused, and one to a custom
  // scheme needs handlers).
  const session = state.session;
  const web = state.url.protocol === 'http:' || state.url.protocol === 'https:';
  if (web && session._protocolIfCreated === undefined && session._webRequestIfCreated === undefined) return null;
  return {
    beforeHop(draft: HopDraft): void {
      // Already answered here (onBeforeRequest's internal redirect).
      if (draft.local !== undefined) return;
      const url = state.url;
      const scheme = url.protocol.slice(0, -1);
      const handler = state.options.bypassCustomProtocolHandlers ? undefined : state.session._protocolIfCreated?._handlerFor(scheme);
      if (handler !== undefined) {
        draft.local = new HandlerHop(control, draft, async (request) => handler(request));
      } else if (scheme === 'file') {
        draft.local = new HandlerHop(control, draft, () => fileResponse(url));
      }
    },
  };
}
