import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { prepareTranscriptBody, transcriptBlobKey } from '../core/transcript-body.js';
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

export interface TranscriptQuery {
  readonly featureId: string;
  /** Only this task's entries. */
  readonly taskId?: string;
  /** Only entries with a greater seq: the cursor of paging and of `--follow`. */
  readonly afterSeq?: number;
  /** At most this many entries (each implementation has a default). */
  readonly limit?: number;
}

export interface TranscriptPage {
  /** In seq order. */
  readonly entries: TranscriptEntry[];
  /** Present when more entries follow this page: pass it as `afterSeq` for the next one. */
  readonly nextSeq?: number;
}

/**
 * Durable transcripts of agent turns, per feature.
 *
 * Guarantees every implementation must keep (checked by test/contract/transcript-store.contract.ts):
 * - `append` validates the entry, redacts secrets from its body, moves a body over the inline
 *   limit to the blob store (the entry keeps a preview and `bodyRef`), and assigns the next `seq`
 *   of the feature: concurrent appends of one feature get distinct, consecutive seqs;
 * - `list` returns entries in seq order and never past a seq that is assigned but not yet written,
 *   so a cursor taken from its last entry never skips an entry that is still being appended.
 */
export interface TranscriptStore extends TranscriptReader {
  append(entry: TranscriptEntryInput): Promise<TranscriptEntry>;
}

/** The reading half of a TranscriptStore: all the API needs, and all it is given. */
export interface TranscriptReader {
  list(query: TranscriptQuery): Promise<TranscriptPage>;
}

/**
 * Keys of a BlobStore: relative, slash-separated segments of letters, digits, dot, dash and
 * underscore. No segment starts with a dot, so none is `.` or `..`: a key is safe as a file
 * path under a root directory and as an S3 key under a prefix.
 */
export const blobKeySchema = z
  .string()
  .max(512)
  .regex(/^[A-Za-z0-9_-][A-Za-z0-9._-]*(\/[A-Za-z0-9_-][A-Za-z0-9._-]*)*$/, 'must be "/"-separated segments of letters, digits, ".", "_" or "-", none starting with "."');

/** Bodies too large for a table item: a file under the data directory locally, an S3 object on AWS. */
export interface BlobStore extends BlobReader {
  /** Throws a ZodError for a key that does not match blobKeySchema. */
  put(key: string, body: string): Promise<void>;
}

/** The reading half of a BlobStore: what the API's transcript route needs. */
export interface BlobReader {
  /** undefined when nothing is stored at the key (never written, or expired); throws a ZodError for a key that does not match blobKeySchema. */
  get(key: string): Promise<string | undefined>;
}

/**
 * What every TranscriptStore does before it stores an entry: validate it, redact
 * and cut its body (lambdas/core/transcript-body.ts), and put a body too large
 * for the table in the blob store first, under a key of its own, so the entry
 * can point at it the moment it is written.
 */
export async function prepareEntry(
  input: TranscriptEntryInput,
  blobs: BlobStore,
): Promise<{ parsed: TranscriptEntryInput; body: string; bodyRef?: string }> {
  const parsed = transcriptEntryInputSchema.parse(input);
  const prepared = prepareTranscriptBody(parsed.body);
  if (prepared.full === undefined) return { parsed, body: prepared.inline };
  const bodyRef = transcriptBlobKey(parsed.featureId, randomUUID());
  await blobs.put(bodyRef, prepared.full);
  return { parsed, body: prepared.inline, bodyRef };
}
