import { buildAwsApiDeps } from '../aws-deps.js';
import { createGetFeatureHandler } from '../http/routes/feature-routes.js';

/** Lambda entry for this route; the logic lives in the use case behind the factory. */
export const handler = createGetFeatureHandler(buildAwsApiDeps());
