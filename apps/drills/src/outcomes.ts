/** A failure the drill itself detects (a wrong reply, an aborted transaction), with a stable code. */
export class DrillCheckError extends Error {
  override readonly name = 'DrillCheckError';
  readonly code: string;

  constructor(code: string, message: string) {
    super(message);
    this.code = code;
  }
}

/** Codes the drill itself raises when Redis answered but the answer was wrong. */
export const CORRECTNESS_CODES: readonly string[] = ['WRONG_REPLY', 'EXEC_ABORTED', 'EXEC_EMPTY'];

/** Failure codes that mean a correctness bug (a reply for another command), not an outage. */
export function correctnessFailures(counts: Readonly<Record<string, number>>): string[] {
  return Object.keys(counts).filter((code) =>
    CORRECTNESS_CODES.some((bad) => code === bad || code.endsWith(`:${bad}`)),
  );
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
