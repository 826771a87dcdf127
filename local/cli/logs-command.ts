import type { Command } from 'commander';
import { z } from 'zod';
import { isTerminalFeatureStatus } from '../../lambdas/core/feature.js';
import { taskIdSchema } from '../../lambdas/core/task.js';
import { transcriptEntrySchema, type TranscriptEntry } from '../../lambdas/ports/transcript-store.js';
import { createApiClient, createJsonRequest } from './api-client.js';

export interface LogsCommandDeps {
  readonly fetch: typeof fetch;
  /** Raw writes: callers include the newline. */
  readonly stdout: (s: string) => void;
  readonly sleep: (ms: number) => Promise<void>;
  /** The API base URL for this invocation: the program's own --url / DSF_URL / default resolution. */
  readonly baseUrl: (command: Command) => string;
}

export const transcriptPageSchema = z.object({
  items: z.array(transcriptEntrySchema),
  nextSeq: z.number().int().min(1).optional(),
});
export type TranscriptPageResponse = z.infer<typeof transcriptPageSchema>;

/** The server's own maximum; a page with `nextSeq` is fetched on at once, without sleeping. */
const TRANSCRIPT_PAGE_SIZE = 200;
const FOLLOW_POLL_MS = 1_000;
const PREVIEW_MAX = 160;
/** Exit code of a wrong command line, as in program.ts. */
const EXIT_USAGE = 2;

const logsOptionsSchema = z.object({
  task: z.string().optional(),
  follow: z.boolean().default(false),
  json: z.boolean().default(false),
  full: z.boolean().default(false),
});

/** `dsf logs <featureId> [--task <taskId>] [--follow] [--json] [--full]`, registered on the dsf program. */
export function registerLogsCommand(program: Command, deps: LogsCommandDeps): Command {
  return program
    .command('logs')
    .description("print a feature's agent transcripts (prompts, tool calls, results, usage); --follow tails them until it finishes")
    .argument('<id>', 'feature id (feat_...)')
    .option('--task <taskId>', 'only this task’s entries')
    .option('-f, --follow', 'keep printing new entries until the feature is merged, failed or cancelled')
    .option('--json', 'print each entry as one line of JSON')
    .option('--full', 'fetch whole bodies of large entries instead of their previews (for --json)')
    .action(async (id: string, rawOptions: unknown, command: Command) => {
      const options = logsOptionsSchema.parse(rawOptions);
      if (options.task !== undefined && !taskIdSchema.safeParse(options.task).success) {
        command.error(`invalid --task "${options.task}": must be a task id (lowercase letters, digits, dashes)`, { exitCode: EXIT_USAGE });
      }
      const baseUrl = deps.baseUrl(command);
      const features = createApiClient({ baseUrl, fetch: deps.fetch });
      const { request } = createJsonRequest({ baseUrl, fetch: deps.fetch });
      const print = options.json
        ? (entry: TranscriptEntry) => deps.stdout(`${JSON.stringify(entry)}\n`)
        : (entry: TranscriptEntry) => deps.stdout(`${formatTranscriptEntry(entry)}\n`);

      const page = async (after: number | undefined) => {
        const params = new URLSearchParams({ limit: String(TRANSCRIPT_PAGE_SIZE) });
        if (options.task !== undefined) params.set('task', options.task);
        if (after !== undefined) params.set('after', String(after));
        if (options.full) params.set('full', '1');
        return (await request('GET', `/features/${encodeURIComponent(id)}/transcript?${params}`, transcriptPageSchema)).data;
      };

      let after: number | undefined;
      // Read before the entries on every round: once it says terminal, the drain after it is the last one needed.
      let feature = options.follow ? await features.getFeature(id) : undefined;
      for (;;) {
        for (;;) {
          const { items, nextSeq } = await page(after);
          items.forEach(print);
          after = items.at(-1)?.seq ?? after;
          if (nextSeq === undefined) break;
        }
        if (!feature || isTerminalFeatureStatus(feature.status)) return;
        await deps.sleep(FOLLOW_POLL_MS);
        feature = await features.getFeature(id);
      }
    });
}

/** `time  task  role  kind  tool  preview` on one line; `-` for what the entry has not got. */
export function formatTranscriptEntry(entry: TranscriptEntry): string {
  const time = entry.at.replace(/\.\d+Z$/, 'Z');
  const usage = entry.usage ? `[${entry.usage.inputTokens} in, ${entry.usage.outputTokens} out, $${entry.usage.costUsd.toFixed(4)}] ` : '';
  const flat = `${entry.isError ? 'error: ' : ''}${usage}${entry.body.replace(/\s+/g, ' ').trim()}`;
  const preview = flat.length > PREVIEW_MAX || entry.bodyRef !== undefined ? `${flat.slice(0, PREVIEW_MAX - 1)}…` : flat;
  return [time, (entry.taskId ?? '-').padEnd(12), entry.role.padEnd(8), entry.kind.padEnd(11), (entry.tool ?? '-').padEnd(12), preview].join('  ').trimEnd();
}
