import type { Feature } from '../core/feature.js';
import type { PlannedTask } from '../core/new-feature.js';
import { planFeature } from '../core/planner.js';
import { costOf, priceTableFromEnv } from '../core/pricing.js';
import { ConfigError } from '../config.js';
import type { TranscriptSink } from '../ports/transcript-store.js';
import { selectModelProvider } from '../adapters/models/select-provider.js';
import { planFeatureWithModel } from './llm-planner.js';

type Env = Readonly<Record<string, string | undefined>>;

/** How long the planner's one model call may take before the heuristic plan is used instead. */
export const PLANNER_TIMEOUT_MS = 120_000;

/**
 * The Plan step's planner: the LLM planner on the model configured for the
 * `planner` role, with the heuristic planner as its fallback (invalid output,
 * a refused call, or no planner model at all, e.g. a scripted setup without a
 * planner session). The note says which plan was used and why.
 */
export function createModelPlanner(deps: {
  env: Env;
  secrets?: (name: string) => Promise<string | undefined>;
  transcriptFor?: (feature: Feature) => TranscriptSink;
  maxOutputTokens?: number;
}): (feature: Feature) => Promise<{ tasks: PlannedTask[]; note: string }> {
  const prices = priceTableFromEnv(deps.env);
  return async (feature) => {
    let provider;
    try {
      provider = await selectModelProvider({ env: deps.env, role: 'planner', ...(deps.secrets ? { secrets: deps.secrets } : {}) });
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      return { tasks: planFeature(feature), note: `heuristic plan: no planner model (${error.message})` };
    }
    const transcript = deps.transcriptFor?.(feature);
    const result = await planFeatureWithModel({
      provider,
      feature: { id: feature.id, title: feature.title, description: feature.description },
      maxOutputTokens: deps.maxOutputTokens ?? 8_192,
      signal: AbortSignal.timeout(PLANNER_TIMEOUT_MS),
      ...(transcript ? { transcript } : {}),
      costOf: (model, usage) => costOf(model, usage, prices).usd,
    });
    return {
      tasks: result.tasks,
      note: result.source === 'model' ? `planned by ${provider.id} (${result.tasks.length} tasks)` : `heuristic plan: ${result.fallbackReason ?? 'the model plan was not usable'}`,
    };
  };
}
