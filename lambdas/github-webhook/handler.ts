import { buildAwsWebhookDeps } from '../aws-deps.js';
import { createGithubWebhookHandler } from '../http/routes/webhook-route.js';

/** Lambda entry of `POST /webhooks/github` (no authorizer: the HMAC signature is the authentication). */
export const handler = createGithubWebhookHandler(buildAwsWebhookDeps());
