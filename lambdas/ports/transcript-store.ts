import { z } from 'zod';
import { agentRoleSchema, usageSchema } from './model-provider.js';

/**
 * One line of an agent's transcript: what it was told, what it asked for, what
 * the tools answered, what it cost, why it stopped. Secrets are redacted before
 * an entry is built; bodies too large for the table live in a blob store and the
 * entry keeps a pointer.
 */
export const transcriptEntryKinds = ['prompt', 'assistant', 'tool_call', 'tool_result', 'refusal', 'usage', 'stop'] as const;

export const transcriptEntryInputSchema = z.strictObject({
  featureId: z.string().min(1),
  /** Absent for feature-level roles (planner, review of the whole feature). */
  taskId: z.string().min(1).optional(),
  role: agentRoleSchema,
  /** Which attempt of the task wrote it (1-based); 0 for feature-level roles. */
  attempt: z.number().int().min(0),
  kind: z.enum(transcriptEntryKinds),
  /** Tool name for tool_call / tool_result / refusal. */
  tool: z.string().optional(),
  /** The text of the turn: prompt, assistant text, tool input (JSON) or output, stop reason. */
  body: z.string(),
  isError: z.boolean().optional(),
  usage: usageSchema.extend({ costUsd: z.number().min(0) }).optional(),
});
export type TranscriptEntryInput = z.infer<typeof transcriptEntryInputSchema>;

export const transcriptEntrySchema = transcriptEntryInputSchema.extend({
  /** Monotonic per feature: the order entries were appended, and the cursor for `--follow`. */
  seq: z.number().int().min(1),
  at: z.iso.datetime(),
  /** Set when `body` was cut for the table; the full body is in the blob store at this key. */
  bodyRef: z.string().optional(),
});
export type TranscriptEntry = z.infer<typeof transcriptEntrySchema>;

/** Where the agent loop writes as it goes; appends must never make a task fail. */
export type TranscriptSink = (entry: TranscriptEntryInput) => Promise<void>;
