import { buildAwsTranscriptApiDeps } from '../aws-transcript-api-deps.js';
import { createGetFeatureTranscriptHandler } from '../http/routes/feature-routes.js';

/** Lambda entry for this route; the logic lives in the use case behind the factory. */
export const handler = createGetFeatureTranscriptHandler(buildAwsTranscriptApiDeps());
