import { z } from 'zod';
import type { Task } from '../core/task.js';
import { costOf, priceTableFromEnv } from '../core/pricing.js';
import { renderGateReportMarkdown } from '../core/gate-policy.js';
import type { Agent, AgentSelector } from '../ports/agent.js';
import type { BudgetLedger } from '../ports/budget-ledger.js';
import type { GateRunner } from '../ports/gate-runner.js';
import type { GitHost } from '../ports/git-host.js';
import type { Lock } from '../ports/lock.js';
import type { AppLogger } from '../ports/logger.js';
import type { TranscriptStore } from '../ports/transcript-store.js';
import type { WorkspaceProvider } from '../ports/workspace.js';
import { selectModelProvider } from '../adapters/models/select-provider.js';
import { transcriptSinkFor } from '../use-cases/transcripts.js';
import { createModelAgent } from './model-agent.js';
import { createReviewAgent } from './review-agent.js';
import { createSleepAgent } from './sleep-agent.js';

type Env = Readonly<Record<string, string | undefined>>;

/** Agent limits from the environment; defaults suit a task of a few files. */
export const agentSettingsSchema = z.object({
  DSF_AGENT_MAX_STEPS: z.coerce.number().int().min(1).max(1_000).default(40),
  DSF_AGENT_MAX_OUTPUT_TOKENS: z.coerce.number().int().min(256).max(200_000).default(8_192),
  DSF_CONFLICT_ROUNDS: z.coerce.number().int().min(0).max(10).default(2),
  DSF_FIX_ROUNDS: z.coerce.number().int().min(0).max(10).default(2),
});

export interface AgentRuntimeDeps {
  readonly env: Env;
  readonly workspaces: WorkspaceProvider;
  readonly gitHost: Pick<GitHost, 'integrate'>;
  readonly lock: Lock;
  readonly ledger: BudgetLedger;
  readonly transcripts?: TranscriptStore;
  readonly logger: AppLogger;
  readonly heartbeatEveryMs: number;
  /** Secrets by name (Secrets Manager on AWS); keys come from the environment otherwise. */
  readonly secrets?: (name: string) => Promise<string | undefined>;
  /** Where relative scripted session paths are read from. */
  readonly baseDir?: string;
  readonly gates?: GateRunner;
}

/** The gate runner the review agent uses: the process-running gates of lambdas/gates. */
export const processGateRunner: GateRunner = {
  async run({ repoDir, base, head, signal }) {
    // Loaded on first use: the gates bring ESLint and TypeScript (megabytes), which only review tasks need.
    const { runGates } = await import('../gates/run-gates.js');
    const report = await runGates({ repoDir, base, head, ...(signal ? { signal } : {}) });
    return {
      passed: report.passed,
      gates: report.gates.map((gate) => ({ gate: gate.gate, status: gate.status, value: gate.value, threshold: gate.threshold, summary: gate.summary.slice(0, 2_000) })),
      markdown: renderGateReportMarkdown(report).slice(0, 60_000),
    };
  },
};

/**
 * Every agent the worker can run, by task: `sleep` tasks (tests, benchmark) get
 * the sleep agent, review tasks the review stage (gates + reviewer), the rest a
 * model-driven code/test agent. Models come from DSF_MODEL (per role:
 * DSF_MODEL_CODE, ...), each call through retries and the task's budget.
 */
export function createAgentSelector(deps: AgentRuntimeDeps): AgentSelector {
  const settings = agentSettingsSchema.parse(deps.env);
  const prices = priceTableFromEnv(deps.env);
  const modelDeps = {
    workspaces: deps.workspaces,
    gitHost: deps.gitHost,
    lock: deps.lock,
    providerFor: (role: Parameters<typeof selectModelProvider>[0]['role'], task: Task) =>
      selectModelProvider({
        env: deps.env,
        role,
        taskId: task.id,
        budget: { ledger: deps.ledger, scope: { featureId: task.featureId, taskId: task.id } },
        ...(deps.secrets ? { secrets: deps.secrets } : {}),
        ...(deps.baseDir ? { baseDir: deps.baseDir } : {}),
      }),
    ...(deps.transcripts ? { transcriptFor: () => transcriptSinkFor(deps.transcripts!, deps.logger) } : {}),
    costOf: (model: string, usage: { inputTokens: number; outputTokens: number }) => costOf(model, usage, prices).usd,
    limits: { maxSteps: settings.DSF_AGENT_MAX_STEPS, maxOutputTokens: settings.DSF_AGENT_MAX_OUTPUT_TOKENS },
    maxConflictRounds: settings.DSF_CONFLICT_ROUNDS,
  };
  const sleep = createSleepAgent({ heartbeatEveryMs: deps.heartbeatEveryMs });
  const code = createModelAgent(modelDeps);
  const review = createReviewAgent({ ...modelDeps, gates: deps.gates ?? processGateRunner, maxFixRounds: settings.DSF_FIX_ROUNDS });
  return (task: Task): Agent => {
    if (task.sleep) return sleep;
    if (task.agentType === 'review') return review;
    return code;
  };
}
