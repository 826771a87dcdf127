import { createHmac } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDbFeatureStore } from '../../lambdas/adapters/dynamodb/dynamodb-feature-store.js';
import { systemClock } from '../../lambdas/ports/clock.js';
import type { AppMetrics } from '../../lambdas/ports/metrics.js';
import { createGithubWebhookHandler } from '../../lambdas/http/routes/webhook-route.js';
import { createApiGatewayServer } from '../../local/api-gateway-server.js';
import { ids, silentLogger } from '../support/fixtures.js';
import { freshTable } from '../support/dynamodb.js';
import { RecordingWorkflow } from '../support/recording-workflow.js';

type Example = { name: string; examples: Record<string, unknown>[] };
const examples = createRequire(import.meta.url)('@octokit/webhooks-examples/api.github.com/index.json') as Example[];
const example = (event: string, action?: string) =>
  structuredClone(examples.find((e) => e.name === event)!.examples.find((x) => action === undefined || x['action'] === action)!);

const SECRET = 'test-webhook-secret';
let url: string;
let server: Server;
let store: DynamoDbFeatureStore;
let destroy: () => void;
const workflow = new RecordingWorkflow();
const counted: string[] = [];
const metrics: AppMetrics = { add: (name) => void counted.push(name), flush: () => undefined };

async function serve(secret: string | undefined) {
  const srv = createApiGatewayServer([
    {
      routeKey: 'POST /webhooks/github',
      handler: createGithubWebhookHandler({
        logger: silentLogger(),
        metrics,
        clock: systemClock,
        ids,
        store,
        workflow,
        defaults: { repo: 'demo', baseBranch: 'main' },
        idempotencyTtlSeconds: 3600,
        triggerLabel: 'dsf',
        deliveryTtlSeconds: 3600,
        webhookSecret: async () => secret,
      }),
    },
  ]);
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', () => resolve()));
  return { srv, url: `http://127.0.0.1:${(srv.address() as AddressInfo).port}` };
}

beforeAll(async () => {
  const { client, tableName } = await freshTable('webhook');
  destroy = () => client.destroy();
  store = new DynamoDbFeatureStore({ client, tableName, clock: systemClock, ids });
  ({ srv: server, url } = await serve(SECRET));
});
afterAll(() => {
  server.closeAllConnections();
  server.close();
  destroy();
});

let deliveries = 0;
function deliver(event: string, payload: unknown, options: { signature?: string | null; delivery?: string; to?: string } = {}) {
  const body = typeof payload === 'string' ? payload : JSON.stringify(payload);
  const signature = options.signature === undefined ? `sha256=${createHmac('sha256', SECRET).update(body).digest('hex')}` : options.signature;
  return fetch(`${options.to ?? url}/webhooks/github`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-github-event': event,
      'x-github-delivery': options.delivery ?? `delivery-${Date.now()}-${deliveries++}`,
      ...(signature === null ? {} : { 'x-hub-signature-256': signature }),
    },
    body,
  });
}

function labeled(labelName: string, issueNumber: number) {
  const payload = example('issues', 'labeled') as { label: { name: string }; issue: { number: number; title: string } };
  payload.label.name = labelName;
  payload.issue.number = issueNumber;
  return payload;
}

async function featuresOf(repo: string) {
  return (await store.listFeatures({ limit: 100 })).items.filter((f) => f.repo === repo);
}

describe('POST /webhooks/github', () => {
  it('answers ping', async () => {
    const response = await deliver('ping', example('ping'));
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ ok: true, event: 'ping' });
  });

  it.each([
    ['missing', null, /missing/],
    ['wrong', `sha256=${'0'.repeat(64)}`, /does not match/],
    ['signed with another secret', `sha256=${createHmac('sha256', 'other').update('{}').digest('hex')}`, /does not match/],
  ])('refuses a %s signature with 401 problem+json and counts it', async (_name, signature, detail) => {
    const before = counted.filter((m) => m === 'WebhookSignatureFailures').length;

    const response = await deliver('issues', labeled('dsf', 9001), { signature });

    expect(response.status).toBe(401);
    expect(response.headers.get('content-type')).toBe('application/problem+json');
    expect(((await response.json()) as { detail: string }).detail).toMatch(detail);
    expect(counted.filter((m) => m === 'WebhookSignatureFailures').length).toBe(before + 1);
    expect((await store.listFeatures({ limit: 100 })).items.some((f) => f.title === 'Spelling error in the README file' && f.description.includes('9001'))).toBe(false);
  });

  it('turns an issue labelled dsf into a feature, and a redelivery into nothing', async () => {
    const payload = labeled('dsf', 101);
    const delivery = `d-${Date.now()}`;

    const first = await deliver('issues', payload, { delivery });
    const again = await deliver('issues', payload, { delivery });

    expect(first.status).toBe(202);
    const outcome = (await first.json()) as { kind: string; featureId: string; created: boolean };
    expect(outcome).toMatchObject({ kind: 'feature', created: true });
    expect(again.status).toBe(200);
    expect(await again.json()).toEqual({ duplicate: true, deliveryId: delivery });
    const feature = await store.getFeature(outcome.featureId);
    expect(feature).toMatchObject({ title: 'Spelling error in the README file', repo: 'Codertocat/Hello-World', baseBranch: 'master', status: 'queued' });
    expect(feature?.description).toContain('https://github.com/Codertocat/Hello-World/issues/1');
    expect(workflow.started.filter((s) => s.name === `feature-${outcome.featureId}`)).toHaveLength(1);
  });

  it('does not start a second feature for a second delivery about the same issue', async () => {
    const first = (await (await deliver('issues', labeled('dsf', 202))).json()) as { featureId: string };
    const edited = labeled('dsf', 202) as { issue: { title: string } };
    edited.issue.title = 'Edited title';

    const second = await deliver('issues', labeled('dsf', 202));
    const third = await deliver('issues', edited);

    expect(await second.json()).toMatchObject({ kind: 'feature', featureId: first.featureId, created: false });
    expect(await third.json()).toMatchObject({ kind: 'ignored' });
    expect((await featuresOf('Codertocat/Hello-World')).filter((f) => f.id === first.featureId)).toHaveLength(1);
  });

  it('ignores other labels, other actions and unknown events with 202', async () => {
    const before = (await featuresOf('Codertocat/Hello-World')).length;

    const otherLabel = await deliver('issues', labeled('bug', 303));
    const opened = await deliver('issues', example('issues', 'opened'));
    const star = await deliver('star', { action: 'created' });

    for (const response of [otherLabel, opened, star]) {
      expect(response.status).toBe(202);
      expect(await response.json()).toMatchObject({ kind: 'ignored' });
    }
    expect((await featuresOf('Codertocat/Hello-World')).length).toBe(before);
  });

  it('refuses an oversized body with 413', async () => {
    const response = await deliver('issues', `{"pad":"${'x'.repeat(11 * 1024 * 1024)}"}`);
    expect(response.status).toBe(413);
  });

  it('answers 503 when no webhook secret is configured', async () => {
    const unconfigured = await serve(undefined);
    try {
      const response = await deliver('ping', example('ping'), { to: unconfigured.url });
      expect(response.status).toBe(503);
    } finally {
      unconfigured.srv.closeAllConnections();
      unconfigured.srv.close();
    }
  });
});
