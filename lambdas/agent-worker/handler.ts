import { buildAwsWorkerDeps } from '../aws-worker-deps.js';
import { createAgentWorkerHandler } from '../orchestration/agent-worker.js';

/** Lambda entry of the agent workers (one SQS event source per agent type). */
export const handler = createAgentWorkerHandler(buildAwsWorkerDeps());
