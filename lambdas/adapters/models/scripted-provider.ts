import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { z } from 'zod';
import {
  agentRoleSchema,
  ModelError,
  stopReasons,
  textPartSchema,
  toolUsePartSchema,
  usageSchema,
  type ChatRequest,
  type ChatResponse,
  type ModelProvider,
  type ToolUsePart,
} from '../../ports/model-provider.js';

/**
 * A model that replays a recorded session, for offline demos and tests: one
 * assistant turn per line of a JSONL file. Each request is checked against what
 * the script expects — the role, the tool_results answering the previous
 * turn's tool calls (ids, in order), optional substrings and error flags — and
 * any difference fails loudly as ModelError('divergence'), because a replay
 * that drifted from its recording proves nothing.
 *
 * One line:
 *   {"expect": {"role": "code", "toolResults": ["read_file"], "resultIncludes": ["export function"], "isError": false},
 *    "content": [{"type": "text", "text": "…"}, {"type": "tool_use", "id": "w1", "name": "write_file", "input": {…}}],
 *    "usage": {"inputTokens": 1800, "outputTokens": 240}}
 */

export const scriptedExpectationSchema = z.strictObject({
  role: agentRoleSchema.optional(),
  /** Names of the tools whose results this request carries, in order: the previous turn's tool calls (checked when the file loads). */
  toolResults: z.array(z.string().min(1)).optional(),
  /** Each must occur in the content of at least one tool_result of the request. */
  resultIncludes: z.array(z.string().min(1)).optional(),
  /** Each must occur in the text parts of the request's last user message (the task prompt, a reminder). */
  textIncludes: z.array(z.string().min(1)).optional(),
  /** One flag for all tool_results, or one per result in order; an absent isError counts as false. */
  isError: z.union([z.boolean(), z.array(z.boolean())]).optional(),
});

export const scriptedTurnSchema = z.strictObject({
  /** Free text for whoever reads the script; ignored. */
  comment: z.string().optional(),
  expect: scriptedExpectationSchema.optional(),
  content: z.array(z.union([textPartSchema, toolUsePartSchema])).min(1),
  usage: usageSchema.optional(),
  /** Default: tool_use when the turn calls a tool, else end_turn. */
  stopReason: z.enum(stopReasons).optional(),
  model: z.string().min(1).optional(),
  /** Simulated thinking time before this answer (abortable): lets a demo replay real timing, e.g. two agents editing at once. */
  delayMs: z.number().int().min(0).max(60_000).optional(),
});
export type ScriptedTurn = z.infer<typeof scriptedTurnSchema>;

export interface ScriptedProviderOptions {
  /** Directory a relative `path` is read from (default the current directory). */
  readonly baseDir?: string;
  /** The model name responses report when a line names none (default `scripted`). */
  readonly model?: string;
}

export interface ScriptedProvider extends ModelProvider {
  /** Turns not yet replayed: 0 once the session has been played to its end. */
  readonly remainingTurns: number;
}

interface LoadedTurn {
  readonly lineNumber: number;
  readonly turn: ScriptedTurn;
}

/** Reads and validates the whole script now, so a broken file fails at start-up, naming its line. */
export function createScriptedProvider(path: string, options: ScriptedProviderOptions = {}): ScriptedProvider {
  const file = resolve(options.baseDir ?? process.cwd(), path);
  const label = `scripted session ${path}`;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ModelError('bad_request', `${label}: cannot read ${file}: ${(error as Error).message}`);
  }
  const turns = parseScript(text, label);
  let next = 0;

  const diverge = (lineNumber: number | undefined, what: string): never => {
    throw new ModelError('divergence', `${label}${lineNumber === undefined ? '' : ` line ${lineNumber}`}: ${what}`);
  };

  return {
    id: `scripted:${path}`,
    get remainingTurns() {
      return turns.length - next;
    },
    async chat(request: ChatRequest): Promise<ChatResponse> {
      if (request.signal?.aborted) throw request.signal.reason;
      const index = next;
      const loaded = turns[index];
      if (!loaded) {
        diverge(undefined, `ran past the end of the script: request ${index + 1} (role ${request.role}) has no scripted answer after ${turns.length} turns; it carried ${describeRequest(request)}`);
      }
      const { lineNumber, turn } = loaded!;
      checkRequest(request, index, turn, turns[index - 1]?.turn, (what) => diverge(lineNumber, what));
      next += 1;
      if (turn.delayMs) await pause(turn.delayMs, request.signal);
      const calls = turn.content.some((part) => part.type === 'tool_use');
      return {
        content: structuredClone(turn.content),
        stopReason: turn.stopReason ?? (calls ? 'tool_use' : 'end_turn'),
        usage: turn.usage ?? { inputTokens: 0, outputTokens: 0 },
        model: turn.model ?? options.model ?? 'scripted',
      };
    },
  };
}

function pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    function onAbort() {
      clearTimeout(timer);
      reject(signal!.reason);
    }
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

function parseScript(text: string, label: string): LoadedTurn[] {
  const turns: LoadedTurn[] = [];
  const seenIds = new Map<string, number>();
  const fail = (lineNumber: number, what: string): never => {
    throw new ModelError('bad_request', `${label} line ${lineNumber}: ${what}`);
  };
  text.split('\n').forEach((raw, index) => {
    const lineNumber = index + 1;
    if (raw.trim() === '') return;
    let json: unknown;
    try {
      json = JSON.parse(raw);
    } catch (error) {
      fail(lineNumber, `not JSON: ${(error as Error).message}`);
    }
    const parsed = scriptedTurnSchema.safeParse(json);
    if (!parsed.success) fail(lineNumber, `not a scripted turn: ${z.prettifyError(parsed.error)}`);
    const turn = parsed.data!;
    const previousCalls = toolUses(turns.at(-1)?.turn);
    const expect = turn.expect;
    if (expect?.toolResults) {
      const names = previousCalls.map((call) => call.name);
      if (JSON.stringify(names) !== JSON.stringify(expect.toolResults)) {
        fail(lineNumber, `expect.toolResults ${JSON.stringify(expect.toolResults)} does not match the tool calls of the turn before, ${JSON.stringify(names)}`);
      }
    }
    if (Array.isArray(expect?.isError) && expect.isError.length !== previousCalls.length) {
      fail(lineNumber, `expect.isError has ${expect.isError.length} flags but the turn before makes ${previousCalls.length} tool calls`);
    }
    for (const call of toolUses(turn)) {
      const earlier = seenIds.get(call.id);
      if (earlier !== undefined) fail(lineNumber, `tool_use id ${JSON.stringify(call.id)} was already used on line ${earlier}; results are matched by id`);
      seenIds.set(call.id, lineNumber);
    }
    turns.push({ lineNumber, turn });
  });
  if (turns.length === 0) throw new ModelError('bad_request', `${label}: the script has no turns`);
  return turns;
}

const toolUses = (turn: ScriptedTurn | undefined): ToolUsePart[] => (turn?.content ?? []).filter((part): part is ToolUsePart => part.type === 'tool_use');

function checkRequest(request: ChatRequest, index: number, turn: ScriptedTurn, previous: ScriptedTurn | undefined, diverge: (what: string) => never): void {
  const expect = turn.expect ?? {};
  if (expect.role !== undefined && request.role !== expect.role) diverge(`expected a request from role ${expect.role}, got role ${request.role}`);

  const assistantTurns = request.messages.filter((m) => m.role === 'assistant').length;
  if (assistantTurns !== index) {
    diverge(`expected a conversation with ${index} assistant turns before this one, got ${assistantTurns} (one scripted provider replays one session, from its start)`);
  }
  const last = request.messages.at(-1);
  if (!last || last.role !== 'user') diverge(`expected the conversation to end with a user message, got ${last ? `an ${last.role} message` : 'no messages'}`);
  const results = last!.role === 'user' ? last!.content.filter((p) => p.type === 'tool_result') : [];
  const texts = last!.role === 'user' ? last!.content.flatMap((p) => (p.type === 'text' ? [p.text] : [])) : [];

  const expectedIds = toolUses(previous).map((call) => call.id);
  const actualIds = results.map((r) => r.toolUseId);
  if (JSON.stringify(expectedIds) !== JSON.stringify(actualIds)) {
    diverge(`expected tool_results for ${JSON.stringify(expectedIds)} in that order, got ${JSON.stringify(actualIds)}`);
  }
  if (expect.isError !== undefined) {
    const wanted = Array.isArray(expect.isError) ? expect.isError : results.map(() => expect.isError as boolean);
    const got = results.map((r) => r.isError ?? false);
    if (JSON.stringify(wanted) !== JSON.stringify(got)) {
      diverge(`expected tool_results with isError ${JSON.stringify(wanted)}, got ${JSON.stringify(got)}: ${excerpt(results.map((r) => r.content).join('\n'))}`);
    }
  }
  const resultText = results.map((r) => r.content).join('\n');
  for (const needle of expect.resultIncludes ?? []) {
    if (!resultText.includes(needle)) diverge(`expected the tool_results to include ${JSON.stringify(needle)}, got ${excerpt(resultText)}`);
  }
  const userText = texts.join('\n');
  for (const needle of expect.textIncludes ?? []) {
    if (!userText.includes(needle)) diverge(`expected the user message to include ${JSON.stringify(needle)}, got ${excerpt(userText)}`);
  }
}

function describeRequest(request: ChatRequest): string {
  const last = request.messages.at(-1);
  if (!last) return 'no messages';
  const parts = last.content.map((p) => (p.type === 'tool_result' ? `tool_result ${p.toolUseId}${p.isError ? ' (error)' : ''}: ${excerpt(p.content, 200)}` : p.type === 'text' ? `text: ${excerpt(p.text, 200)}` : p.type));
  return `${last.role} message [${parts.join('; ')}]`;
}

function excerpt(text: string, max = 600): string {
  return JSON.stringify(text.length <= max ? text : `${text.slice(0, max)}…`);
}
