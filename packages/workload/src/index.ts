export { type ClientFigures, type DrillRow, drillTable } from './drill-table.js';
export {
  type BenchEnvironment,
  benchCommand,
  benchEnvironment,
  environmentLine,
  runEnvironment,
} from './environment.js';
export {
  type ExperimentReport,
  type ExperimentRow,
  experimentTable,
} from './experiment-report.js';
export { LatencyHistogram } from './histogram.js';
export {
  type Contender,
  type ContenderResult,
  type InterleaveOptions,
  interleave,
} from './interleave.js';
export { distinctKeys, hotKey, type KeySource, zipfKeys } from './keys.js';
export { type LoadOptions, type LoadResult, runLoad, type SettledCall } from './load.js';
export {
  type ClassicRow,
  classicTable,
  type LeaseOverheadRow,
  leaseOverheadTable,
} from './pool-tables.js';
export { presetValues, type SetTarget } from './preset.js';
export { type Random, seededRandom } from './random.js';
export {
  type ContenderTableOptions,
  callsPerSecondOf,
  contenderTable,
  finishBench,
  formatNumber,
  type Goal,
  goal,
  goalLine,
  markdownTable,
  type PeerColumn,
  toJson,
  writeJson,
} from './report.js';
export {
  addSnapshots,
  EMPTY_SNAPSHOT,
  type InfoSource,
  parseCommandStats,
  parseCpuSeconds,
  type ServerDelta,
  type ServerSnapshot,
  serverDelta,
  serverSnapshot,
  snapshotDifference,
} from './server.js';
export { type BenchSettings, benchSettings } from './settings.js';
