import type { HitTracker } from '@hitpool/hits';
import type { RedisPool } from '@hitpool/pool';
import { expect, inject, it } from 'vitest';
import type { LedgerComparison } from './counters.js';
import { type DrillLoad, type DrillLoadOptions, loadDuring } from './drill-load.js';
import { reportDrill } from './figures.js';
import { correctnessFailures } from './outcomes.js';
import type { ScenarioContext } from './timeline.js';
import { watchUnhandled } from './unhandled.js';

/** What a drill puts under load, as its `setup` returns it. */
export interface DrillSubject {
  /** Concurrent callers. */
  callers: number;
  /** One call by caller `caller` (0-based); resolving counts as a success, rejecting as a failure. */
  call(caller: number): Promise<unknown>;
  /** A caller's label (`tx`, `client`); unlabelled callers count as `main`. */
  labelOf?(caller: number): string | undefined;
  /** The tracker under test: closed when the drill ends, before the pool. */
  tracker?: HitTracker;
  /** The pool under test: its stats go into the figures; closed when the drill ends (1 s grace). */
  pool?: RedisPool;
}

/** Handed to a drill's `setup`. */
export interface DrillSetup {
  /** Run `close` when the drill ends, passed or failed (the last deferred runs first). */
  defer(close: () => unknown): void;
}

/** What a drill's `measure` returns; anything else it returns goes to its `assert` only. */
export interface DrillFigures {
  /** Acknowledged vs final counters, by name; their losses make the row's "acknowledged but lost". */
  counters?: Record<string, LedgerComparison>;
  /** The counters of the `pool.client` callers (label `client`): the row's `client` figures. */
  client?: LedgerComparison;
  /** Anything else worth printing (peaks, settings, tolerances). */
  details?: Record<string, unknown>;
}

/** A drill: what it runs against, what breaks, what it measures and what must hold. */
export interface DrillSpec<S extends DrillSubject, F extends DrillFigures>
  extends Pick<DrillLoadOptions, 'warmupMs' | 'tailMs' | 'maxMs'> {
  /** Seed the data and build the subject (the servers are the test file's, started once). */
  setup(context: DrillSetup): Promise<S>;
  /** What breaks, while the load runs; `mark()` the moments to measure from. */
  scenario(context: ScenarioContext, subject: S): Promise<void>;
  /** The mark the row's time to recover is measured from; omit when not measured. */
  recoverFrom?: string;
  /** After the load: read back counters and gather figures (before anything is asserted). */
  measure?(subject: S, load: DrillLoad): Promise<F>;
  /** The drill's own assertions, once its row is recorded. */
  assert(load: DrillLoad, figures: F, subject: S): void | Promise<void>;
}

/**
 * Register the drill `name` (the row's name: its number in the README's table, then what it
 * does) as a test. The runner owns everything around the scenario: it watches for unhandled
 * rejections, calls `setup`, runs the subject's callers through a warm-up, the scenario and a
 * tail, calls `measure`, records the row (time to recover, counters, pool stats) and prints
 * the figures, then asserts what every drill must hold (no call left pending, no reply meant
 * for another command), the drill's own assertions, and no unhandled rejection. Last, it
 * closes what `setup` deferred, the tracker and the pool, also when the drill failed.
 */
export function drill<S extends DrillSubject, F extends DrillFigures = DrillFigures>(
  name: string,
  spec: DrillSpec<S, F>,
): void {
  it(name, async () => {
    const unhandled = watchUnhandled();
    const deferred: Array<() => unknown> = [];
    let subject: S | undefined;
    try {
      subject = await spec.setup({ defer: (close) => deferred.push(close) });
      const running = subject;
      const load = await loadDuring({
        callers: running.callers,
        call: (caller) => running.call(caller),
        labelOf: (caller) => running.labelOf?.(caller),
        warmupMs: spec.warmupMs,
        tailMs: spec.tailMs,
        maxMs: spec.maxMs,
        scenario: (context) => spec.scenario(context, running),
      });
      const figures = spec.measure ? await spec.measure(running, load) : ({} as F);
      reportDrill({
        drill: name,
        load,
        recoverFrom: spec.recoverFrom,
        counters: figures.counters,
        client: figures.client,
        details: {
          ...figures.details,
          'unhandled rejections': unhandled.errors.length,
          ...(running.pool === undefined ? {} : { 'pool stats': running.pool.stats() }),
        },
        resultsFile: inject('drillResults'),
      });
      expect(load.pending, 'calls left pending (a hung lease or command)').toBe(0);
      expect(correctnessFailures(load.failures.counts), 'replies meant for another call').toEqual(
        [],
      );
      await spec.assert(load, figures, running);
      expect(unhandled.errors, 'unhandled rejections').toEqual([]);
    } finally {
      unhandled.stop();
      for (const close of deferred.reverse()) await close();
      await subject?.tracker?.close();
      await subject?.pool?.close({ timeoutMs: 1_000 });
    }
  });
}
