import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { METRIC_NAMESPACE, type AppMetrics, type MetricUnit as AppMetricUnit } from '../ports/metrics.js';

const units: Record<AppMetricUnit, (typeof MetricUnit)[keyof typeof MetricUnit]> = {
  Count: MetricUnit.Count,
  Milliseconds: MetricUnit.Milliseconds,
  Percent: MetricUnit.Percent,
  None: MetricUnit.NoUnit,
};

/** AppMetrics as CloudWatch EMF lines, through Powertools Metrics. */
export function createPowertoolsMetrics(serviceName: string): AppMetrics {
  const metrics = new Metrics({ namespace: METRIC_NAMESPACE, serviceName });
  return {
    add(name, unit, value, dimensions) {
      if (dimensions && Object.keys(dimensions).length > 0) {
        // A metric with its own dimensions goes out as its own EMF object.
        const single = metrics.singleMetric();
        for (const [key, dimension] of Object.entries(dimensions)) single.addDimension(key, dimension);
        single.addMetric(name, units[unit], value);
        return;
      }
      metrics.addMetric(name, units[unit], value);
    },
    flush() {
      metrics.publishStoredMetrics();
    },
  };
}
