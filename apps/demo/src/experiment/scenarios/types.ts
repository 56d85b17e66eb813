/** A scenario opened against one Redis: `call` is one simulated request. */
export interface ScenarioSession {
  /** Read `key` and count a hit on it. */
  call(key: string): Promise<unknown>;
  /** Close every connection the scenario opened. */
  close(): Promise<void>;
}

/** One way of reading a value and counting a hit, compared in the experiment. */
export interface Scenario {
  /** Stable id, used in `--json`. */
  readonly id: string;
  /** What the table calls it. */
  readonly title: string;
  open(url: string): Promise<ScenarioSession>;
}

/** The counter key the hand-written scenarios use: the `${key}_hit` scheme of the original code. */
export const hitKey = (key: string): string => `${key}_hit`;
