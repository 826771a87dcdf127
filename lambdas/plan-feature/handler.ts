import { buildAwsPlanDeps } from '../aws-plan-deps.js';
import { stepFunctions } from '../orchestration/step-functions.js';

/** Lambda entry for the Plan state, with the LLM planner (lambdas/aws-plan-deps.ts); see lambdas/orchestration/step-functions.ts. */
export const handler = stepFunctions.find((fn) => fn.entry === 'plan-feature')!.create(buildAwsPlanDeps());
