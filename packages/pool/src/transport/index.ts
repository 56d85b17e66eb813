/**
 * `@hitpool/pool/transport`: what `@hitpool/hits` sends through. Internal API, typed and tested,
 * but not part of the pool's documented API: it may change in any release, which is why
 * `@hitpool/hits` depends on a `~` range of `@hitpool/pool`.
 *
 * @packageDocumentation
 */
export { backlogFull } from './admission.js';
export { commandTimeoutOf, DEFAULT_COMMAND_TIMEOUT_MS } from './deadlines.js';
export { type ClientHolder, clientSource, createExecutor } from './executor.js';
export type { Deliver, Executor, Reply, TransportCommand } from './executor-types.js';
export { observeBeside } from './observer.js';
export { type RedirectKind, redirectOf } from './redirects.js';
