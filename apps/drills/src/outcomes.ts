/** A failure the drill itself detects (a wrong reply, an aborted transaction), with a stable code. */
export class DrillCheckError extends Error {
  override readonly name = 'DrillCheckError';
  readonly code: string;

  constructor(code: string, message: string) {
    super(message);
    this.code = code;
  }
}

const MAX_MESSAGE = 48;

/**
 * The label a failed call is counted under: the error's `code` when it has one
 * (POOL_ACQUIRE_TIMEOUT, ECONNREFUSED), the reply's first word for Redis
 * replies (CLUSTERDOWN, TRYAGAIN; `ERR ...` keeps its text because the word
 * alone says nothing), else the class name, else the start of the message.
 */
export function errorCode(error: unknown): string {
  if (!(error instanceof Error)) return `non-error ${typeof error}`;
  const { code } = error as { code?: unknown };
  if (typeof code === 'string' && code !== '') return code;
  if (error.name === 'ReplyError') {
    const word = error.message.split(' ', 1)[0] ?? '';
    return word === 'ERR' || word === '' ? error.message.slice(0, MAX_MESSAGE) : word;
  }
  if (error.name !== 'Error' && error.name !== '') return error.name;
  return error.message.slice(0, MAX_MESSAGE) || 'Error';
}

/** Failures counted by {@link errorCode}, with the first message seen for each and its latency range. */
export class FailureTally {
  readonly counts: Record<string, number> = {};
  readonly samples: Record<string, string> = {};
  readonly latency: Record<string, { min: number; max: number }> = {};

  /** Count `error`; a `label` (e.g. `tx`) prefixes its code as `tx:CODE`. */
  add(error: unknown, latencyMs: number, label?: string): void {
    const code = label ? `${label}:${errorCode(error)}` : errorCode(error);
    this.counts[code] = (this.counts[code] ?? 0) + 1;
    if (this.samples[code] === undefined)
      this.samples[code] = error instanceof Error ? error.message : String(error);
    const range = this.latency[code];
    if (range === undefined) this.latency[code] = { min: latencyMs, max: latencyMs };
    else {
      range.min = Math.min(range.min, latencyMs);
      range.max = Math.max(range.max, latencyMs);
    }
  }

  get total(): number {
    return Object.values(this.counts).reduce((sum, count) => sum + count, 0);
  }
}
