import { z } from 'zod';
import type { AgentRole, ToolSpec } from '../../ports/model-provider.js';

/** `finish` ends the session; the loop checks it (verdict, conflict markers) before accepting. */
export const FINISH_TOOL = 'finish';

export const reviewVerdictSchema = z.strictObject({
  decision: z.enum(['approve', 'request_changes']),
  reasons: z.array(z.string().trim().min(1).max(2_000)).min(1).max(50),
});
export type ReviewVerdict = z.infer<typeof reviewVerdictSchema>;

export const finishInputSchema = z.strictObject({ summary: z.string().trim().min(1).max(10_000) });
export const reviewFinishInputSchema = finishInputSchema.extend({ verdict: reviewVerdictSchema });

export function finishSchemaFor(role: AgentRole): z.ZodType<{ summary: string; verdict?: ReviewVerdict }> {
  return role === 'review' ? reviewFinishInputSchema : finishInputSchema;
}

export function finishSpecFor(role: AgentRole): ToolSpec {
  const summary = { type: 'string', description: 'What you did and why, for the people reviewing the change (a few sentences).' };
  if (role !== 'review') {
    return {
      name: FINISH_TOOL,
      description:
        role === 'conflict'
          ? 'Call when every conflict is resolved (no <<<<<<< / >>>>>>> markers remain); ends the session.'
          : 'Call once the task is done (and its checks pass); ends the session.',
      inputSchema: { type: 'object', properties: { summary }, required: ['summary'] },
    };
  }
  return {
    name: FINISH_TOOL,
    description: 'Call with your verdict; ends the review. approve only if every acceptance criterion holds and the quality gate passed.',
    inputSchema: {
      type: 'object',
      properties: {
        summary,
        verdict: {
          type: 'object',
          properties: {
            decision: { type: 'string', enum: ['approve', 'request_changes'] },
            reasons: { type: 'array', items: { type: 'string' }, description: 'One reason per point: a criterion met or not, a defect, a failed gate.' },
          },
          required: ['decision', 'reasons'],
        },
      },
      required: ['summary', 'verdict'],
    },
  };
}
