import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createModelPlanner } from '../../lambdas/agents/model-planner.js';
import { planFeature } from '../../lambdas/core/planner.js';
import { ManualClock, sampleFeature } from '../support/fixtures.js';

const sessions = resolve('test/fixtures/sessions');
const { feature } = sampleFeature(new ManualClock(), { tasks: undefined });

describe('the Plan step’s planner', () => {
  it('uses the planner model’s plan when one is configured', async () => {
    const planner = createModelPlanner({ env: { DSF_MODEL: `scripted:${sessions}`, DSF_MODEL_PLANNER: `scripted:${sessions}/planner-valid.jsonl` } });
    const planned = await planner(feature);
    expect(planned.tasks.map((task) => task.id)).toEqual(expect.arrayContaining(['route', 'route-tests', 'review']));
    expect(planned.note).toMatch(/^planned by scripted:.*planner-valid\.jsonl \(\d+ tasks\)$/);
  });

  it('falls back to the heuristic plan, saying why, when the model answers with no usable plan', async () => {
    const planner = createModelPlanner({ env: { DSF_MODEL: `scripted:${sessions}/planner-invalid-json.jsonl` } });
    const planned = await planner(feature);
    expect(planned.tasks).toEqual(planFeature(feature));
    expect(planned.note).toMatch(/^heuristic plan: /);
  });

  it('falls back to the heuristic plan when no planner model is configured (the demo’s scripted sessions have none)', async () => {
    const planner = createModelPlanner({ env: { DSF_MODEL: 'scripted:examples/demo/sessions' } });
    const planned = await planner(feature);
    expect(planned.tasks).toEqual(planFeature(feature));
    expect(planned.note).toMatch(/^heuristic plan: no planner model \([\s\S]*no scripted session for role planner/);
  });
});
