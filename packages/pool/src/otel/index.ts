/**
 * `@hitpool/pool/otel`: a pool's OpenTelemetry metrics, named by the semantic conventions for
 * database clients. Needs `@opentelemetry/api` (an optional peer dependency of
 * `@hitpool/pool`; the main entry point never loads it).
 *
 * @packageDocumentation
 */
export { PoolAlreadyInstrumentedError } from '../errors.js';
export {
  type InstrumentPoolOptions,
  instrumentPool,
  METER_NAME,
  type PoolInstrumentation,
} from './instrument.js';
