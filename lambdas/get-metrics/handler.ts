import { buildAwsApiDeps } from '../aws-deps.js';
import { createGetMetricsHandler } from '../http/routes/feature-routes.js';

/** Lambda entry for this route; the logic lives in the use case behind the factory. */
export const handler = createGetMetricsHandler(buildAwsApiDeps());
