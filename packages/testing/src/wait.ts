import { connect } from 'node:net';

/** Sleep for `ms` milliseconds. */
export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * True when something on 127.0.0.1:`port` answers a RESP `PING` (or asks for a password)
 * within `timeoutMs`.
 */
export function answersPing(port: number, timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    const done = (ready: boolean) => {
      socket.destroy();
      resolve(ready);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    // -NOAUTH means the server is up but wants a password: ready all the same.
    socket.once('data', (data) => done(/^(\+PONG|-NOAUTH)/.test(data.toString())));
  });
}

/** Resolve once a Redis (or Sentinel) on `port` answers PING; reject after `timeoutMs`. */
export async function waitUntilReady(
  port: number,
  options: { timeoutMs?: number; isAlive?: () => boolean } = {},
): Promise<void> {
  const deadline = Date.now() + (options.timeoutMs ?? 10_000);
  while (Date.now() < deadline) {
    if (options.isAlive && !options.isAlive()) throw new Error(`server on port ${port} exited`);
    if (await answersPing(port)) return;
    await delay(25);
  }
  throw new Error(
    `server on port ${port} did not answer PING within ${options.timeoutMs ?? 10_000} ms`,
  );
}

/** Poll `check` until it returns true; reject with `what` after `timeoutMs`. */
export async function waitFor(
  what: string,
  check: () => boolean | Promise<boolean>,
  timeoutMs = 10_000,
  intervalMs = 50,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await delay(intervalMs);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}
