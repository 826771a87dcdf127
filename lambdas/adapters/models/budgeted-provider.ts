import { toMicroUsd, type BudgetAmount, type BudgetLimits } from '../../core/budget.js';
import { costOf, defaultPriceTable, type PriceTable } from '../../core/pricing.js';
import { BudgetExhaustedError, type BudgetLedger, type BudgetScope } from '../../ports/budget-ledger.js';
import { ModelError, type ChatRequest, type ChatResponse, type ModelProvider } from '../../ports/model-provider.js';

export interface BudgetedProviderOptions {
  readonly ledger: BudgetLedger;
  readonly scope: BudgetScope;
  readonly limits: BudgetLimits;
  readonly prices?: PriceTable;
}

/**
 * Roughly four characters per token for English and code in the tokenizers
 * of Claude, GPT and Llama. An overestimate only holds budget back until the
 * call settles; the rounding is up for that reason.
 */
const CHARS_PER_TOKEN = 4;
/** Per message and per tool: role markers and framing the character count does not see. */
const OVERHEAD_TOKENS = 8;

/** Input tokens a request will probably use, from its size. */
export function estimateInputTokens(request: ChatRequest): number {
  let characters = request.system.length;
  let pieces = 1;
  for (const message of request.messages) {
    pieces += 1;
    for (const part of message.content) {
      if (part.type === 'text') characters += part.text.length;
      else if (part.type === 'tool_result') characters += part.content.length;
      else characters += part.name.length + JSON.stringify(part.input).length;
    }
  }
  for (const tool of request.tools) {
    pieces += 1;
    characters += tool.name.length + tool.description.length + JSON.stringify(tool.inputSchema).length;
  }
  return Math.ceil(characters / CHARS_PER_TOKEN) + pieces * OVERHEAD_TOKENS;
}

/** `anthropic:claude-sonnet-4-5` → `claude-sonnet-4-5`: prices are per model, whoever serves it. */
function modelOf(providerId: string): string {
  const colon = providerId.indexOf(':');
  return colon === -1 ? providerId : providerId.slice(colon + 1);
}

/**
 * Charges every chat to the task's and the feature's budget: reserves the
 * worst case (estimated input plus the whole output allowance) before the
 * call, settles the actual usage after it, and counts one step per call. A
 * refused reservation fails the call with ModelError `budget_exhausted`, whose
 * message names the scope and the limit. Put it outside the retrying
 * decorator, so a call retried three times is one step.
 */
export function createBudgetedProvider(inner: ModelProvider, options: BudgetedProviderOptions): ModelProvider {
  const prices = options.prices ?? defaultPriceTable;
  const configuredModel = modelOf(inner.id);
  return {
    id: inner.id,
    async chat(request: ChatRequest): Promise<ChatResponse> {
      const inputTokens = estimateInputTokens(request);
      const estimate: BudgetAmount = {
        steps: 1,
        tokens: inputTokens + request.maxOutputTokens,
        microUsd: toMicroUsd(costOf(configuredModel, { inputTokens, outputTokens: request.maxOutputTokens }, prices).usd),
      };
      let reservation;
      try {
        reservation = await options.ledger.reserve(options.scope, estimate, options.limits);
      } catch (error) {
        if (error instanceof BudgetExhaustedError) throw new ModelError('budget_exhausted', error.message, undefined, { cause: error });
        throw error;
      }
      let response: ChatResponse;
      try {
        response = await inner.chat(request);
      } catch (error) {
        // A failed call is not billed by the providers; its step stays counted so a failing loop still ends.
        await options.ledger.settle(reservation, { tokens: 0, microUsd: 0 });
        throw error;
      }
      const { usage } = response;
      // The configured id prices a dated snapshot the same; the answering model's id is the fallback for aliases.
      const cost = costOf(configuredModel, usage, prices);
      const usd = cost.priced ? cost.usd : costOf(response.model, usage, prices).usd;
      await options.ledger.settle(reservation, { tokens: usage.inputTokens + usage.outputTokens, microUsd: toMicroUsd(usd) });
      return response;
    },
  };
}
