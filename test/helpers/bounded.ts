// Long steps inside a test (a compiler run) without switching off ava's global timeout.
//
// ava's global `timeout` (package.json, 60 s) fails a run in which no test reports anything for
// that long. A t.timeout() longer than that suspends the global timer for ms, and ava 6 only
// re-arms that timer on the next test activity: a test that then hangs (or a worker kept alive
// by a forgotten server) hangs the whole run for good. So no test calls t.timeout() with more
// than the global timeout (test/suite-bounds.test.ts checks); a long step renews a short
// per-test timeout while it makes progress instead, and has a hard bound of its own.
import type { ExecutionContext } from 'ava';

/** How often the test's own timeout is renewed, each time for 30 s (well under ava's 60 s). */
const RENEW_EVERY_MS = 10_000;

/**
 * Waits for `step`, renewing the test's timeout while it runs, for at most `boundMs`. Past the
 * bound it calls `onBound` (e.g. to kill a child) and rejects with a message naming `what`.
 */
export async function boundedStep<T>(
  t: ExecutionContext,
  what: string,
  boundMs: number,
  step: Promise<T>,
  onBound: () => void = () => {},
): Promise<T> {
  const renewTimeout = (): void => t.timeout(30_000, `${what}: the test stopped making progress`);
  renewTimeout();
  const renew = setInterval(renewTimeout, RENEW_EVERY_MS);
  let bound: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      step,
      new Promise<never>((_, reject) => {
        bound = setTimeout(() => {
          onBound();
          reject(new Error(`${what} did not finish within ${Math.round(boundMs / 1000)} s`));
        }, boundMs);
      }),
    ]);
  } finally {
    clearInterval(renew);
    clearTimeout(bound);
  }
}
