// The environment for programs a test runs that are not node (proxies, a KDC, apt-get): this
// process's, minus the sanitizer runtimes `npm run test:sanitize` preloads into node. They are
// there for our addon; in other programs they change behaviour (squid, which drops to user
// 'proxy', cannot write their log and does not start; apt-get's methods stall).
export function toolEnvironment(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  if (env.LD_PRELOAD) {
    const kept = env.LD_PRELOAD.split(/[\s:]+/).filter((lib) => lib && !/\/lib(asan|ubsan)\.so/.test(lib));
    if (kept.length) env.LD_PRELOAD = kept.join(' ');
    else delete env.LD_PRELOAD;
  }
  return env;
}
