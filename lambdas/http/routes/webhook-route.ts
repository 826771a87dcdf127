import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Logger } from '@aws-lambda-powertools/logger';
import { handleGithubEvent, type WebhookDeps } from '../../use-cases/github-webhook.js';
import { metricNames, noMetrics, type AppMetrics } from '../../ports/metrics.js';
import { apiHandler, header, json, type ApiHandler } from '../api-handler.js';
import { HttpError } from '../problem.js';

export interface WebhookRouteDeps extends WebhookDeps {
  readonly logger: Logger;
  readonly metrics?: AppMetrics;
  /** The webhook secret: DSF_WEBHOOK_SECRET locally, Secrets Manager (through Powertools Parameters) on AWS. */
  readonly webhookSecret: () => Promise<string | undefined>;
  /** How long a delivery id is remembered for deduplication. */
  readonly deliveryTtlSeconds: number;
}

/** GitHub sends at most 25 MB; API Gateway itself stops at 10 MB. */
export const MAX_WEBHOOK_BYTES = 25 * 1024 * 1024;

/**
 * X-Hub-Signature-256: `sha256=` and the hex HMAC-SHA256 of the raw body under the secret,
 * compared in constant time, as @octokit/webhooks' `verify` does (its Webhooks class
 * would also bring its event emitter and every event name, ~11 KB, into the bundle).
 * The raw bytes are signed, as GitHub signs them, not a re-encoding of their text.
 */
export function isValidWebhookSignature(secret: string, raw: Buffer, signature: string): boolean {
  const expected = Buffer.from(`sha256=${createHmac('sha256', secret).update(raw).digest('hex')}`);
  const given = Buffer.from(signature);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/**
 * `POST /webhooks/github`. Authenticated by X-Hub-Signature-256 over the raw
 * body, checked before anything is parsed; nothing of a refused payload is
 * logged. Idempotent on X-GitHub-Delivery.
 */
export function createGithubWebhookHandler(deps: WebhookRouteDeps): ApiHandler {
  const metrics = deps.metrics ?? noMetrics;
  return apiHandler(deps.logger, async (event) => {
    const raw = event.body === undefined ? Buffer.alloc(0) : Buffer.from(event.body, event.isBase64Encoded ? 'base64' : 'utf8');
    if (raw.length > MAX_WEBHOOK_BYTES) throw new HttpError(413, 'Payload too large', `Deliveries are at most ${MAX_WEBHOOK_BYTES} bytes.`);
    const secret = await deps.webhookSecret();
    if (!secret) throw new HttpError(503, 'Webhooks not configured', 'Set the webhook secret (DSF_WEBHOOK_SECRET locally) to receive GitHub deliveries.');
    const signature = header(event, 'x-hub-signature-256');
    const deliveryId = header(event, 'x-github-delivery');
    const eventName = header(event, 'x-github-event');
    const text = raw.toString('utf8');
    const valid = signature !== undefined && isValidWebhookSignature(secret, raw, signature);
    if (!valid) {
      metrics.add(metricNames.webhookSignatureFailures, 'Count', 1);
      metrics.flush();
      deps.logger.warn('webhook signature refused', { deliveryId, eventName, signaturePresent: signature !== undefined });
      throw new HttpError(401, 'Unauthorized', signature === undefined ? 'X-Hub-Signature-256 is missing.' : 'X-Hub-Signature-256 does not match.');
    }
    if (!deliveryId || !eventName) {
      throw new HttpError(400, 'Invalid request', 'X-GitHub-Delivery and X-GitHub-Event are required.', {
        errors: [{ pointer: deliveryId ? 'header:X-GitHub-Event' : 'header:X-GitHub-Delivery', detail: 'missing' }],
      });
    }
    let payload: unknown;
    try {
      payload = JSON.parse(text);
    } catch {
      throw new HttpError(400, 'Invalid request', 'The body is not valid JSON.');
    }
    if (eventName === 'ping') return json(200, { ok: true, event: 'ping' });
    if (!(await deps.store.claimDelivery(deliveryId, new Date(deps.clock.now().getTime() + deps.deliveryTtlSeconds * 1000)))) {
      deps.logger.info('webhook redelivery ignored', { deliveryId, eventName });
      return json(200, { duplicate: true, deliveryId });
    }
    let outcome;
    try {
      outcome = await handleGithubEvent(deps, eventName, payload);
    } catch (error) {
      // Unclaim, so GitHub's redelivery of a delivery we failed on is acted on, not dropped as a duplicate.
      await deps.store.releaseDelivery(deliveryId);
      throw error;
    }
    deps.logger.info('webhook handled', { deliveryId, eventName, outcome });
    return json(202, { deliveryId, ...outcome });
  });
}
