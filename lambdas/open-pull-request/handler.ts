import { buildAwsOrchestrationDeps } from '../aws-deps.js';
import { stepFunctions } from '../orchestration/step-functions.js';

/** Lambda entry for a state of the feature state machine; see lambdas/orchestration/step-functions.ts. */
export const handler = stepFunctions.find((fn) => fn.entry === 'open-pull-request')!.create(buildAwsOrchestrationDeps());
