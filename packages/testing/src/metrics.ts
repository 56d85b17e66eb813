/**
 * OpenTelemetry metrics as a test reads them: a meter provider whose reader collects when asked
 * (no export interval), and what it recorded by metric name. A subpath of its own
 * (`@hitpool/testing/metrics`), so that tests without metrics never load the SDK.
 */
import {
  DataPointType,
  type HistogramMetricData,
  MeterProvider,
  type MetricData,
  MetricReader,
} from '@opentelemetry/sdk-metrics';

/** A reader the test collects from when it wants. */
class CollectingReader extends MetricReader {
  protected override onShutdown(): Promise<void> {
    return Promise.resolve();
  }
  protected override onForceFlush(): Promise<void> {
    return Promise.resolve();
  }
}

/** A meter provider (shut it down after the test) and how to read what it recorded. */
export interface CollectingMeterProvider {
  readonly provider: MeterProvider;
  /** Every metric recorded so far, by name; rejects if the SDK reported collection errors. */
  collect(): Promise<Map<string, MetricData>>;
}

export function collectingMeterProvider(): CollectingMeterProvider {
  const reader = new CollectingReader();
  const provider = new MeterProvider({ readers: [reader] });
  return {
    provider,
    async collect() {
      const { resourceMetrics, errors } = await reader.collect();
      if (errors.length > 0) throw new AggregateError(errors, 'collecting metrics failed');
      const byName = new Map<string, MetricData>();
      for (const scope of resourceMetrics.scopeMetrics) {
        for (const metric of scope.metrics) byName.set(metric.descriptor.name, metric);
      }
      return byName;
    },
  };
}

/** The histogram recorded as `name`; throws if there is none. */
export function histogramOf(metrics: Map<string, MetricData>, name: string): HistogramMetricData {
  const metric = metrics.get(name);
  if (metric?.dataPointType !== DataPointType.HISTOGRAM)
    throw new Error(`no histogram named ${name} was recorded`);
  return metric;
}
