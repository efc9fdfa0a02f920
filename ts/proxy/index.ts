// Proxy configuration for curl-net: Electron's ProxyConfig (direct, fixed_servers, pac_script,
// auto_detect, system) resolved per URL into an ordered failover list. See docs/proxy.md.
export type { ProxyMode, ProxyConfig, ProxyServer, ProxyChoice } from './types';
export { ProxyResolver, INVALID_MODE_MESSAGE, WPAD_URL } from './proxy-resolver';
export type { ProxyResolverOptions } from './proxy-resolver';
export { formatProxyList, curlProxyUrl } from './proxy-server';
export { BAD_PROXY_MS } from './bad-proxies';
export { PacTimeoutError } from './pac-evaluator';
