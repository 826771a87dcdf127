import { beforeEach, describe, expect, it } from 'vitest';
import { ZodError } from 'zod';
import { INLINE_BODY_BYTES } from '../../lambdas/core/transcript-body.js';
import type { BlobStore, TranscriptEntryInput, TranscriptStore } from '../../lambdas/ports/transcript-store.js';
import { ids, type ManualClock } from '../support/fixtures.js';

export interface TranscriptStoreUnderTest {
  store: TranscriptStore;
  blobs: BlobStore;
  clock: ManualClock;
}

/** A feature id of its own per call, so implementations sharing a table never see each other's entries. */
export const newFeatureId = () => `feat_${ids.ulid()}`;

export function anEntry(featureId: string, overrides: Partial<TranscriptEntryInput> = {}): TranscriptEntryInput {
  return { featureId, taskId: 'endpoint', role: 'code', attempt: 1, kind: 'assistant', body: 'I will add the route.', ...overrides };
}

/**
 * The one behavioural contract of TranscriptStore. Every implementation runs it:
 * the in-memory fake, and DynamoDB (with a file blob store) against DynamoDB Local.
 */
export function describeTranscriptStoreContract(name: string, make: () => Promise<TranscriptStoreUnderTest>): void {
  describe(`TranscriptStore contract: ${name}`, () => {
    let store: TranscriptStore;
    let blobs: BlobStore;
    let clock: ManualClock;
    let featureId: string;

    beforeEach(async () => {
      ({ store, blobs, clock } = await make());
      featureId = newFeatureId();
    });

    it('appends entries with seqs 1, 2, 3 and the time of the append, and lists them in order', async () => {
      const first = await store.append(anEntry(featureId, { kind: 'prompt', body: 'Add GET /health' }));
      clock.advance(1_000);
      const second = await store.append(
        anEntry(featureId, { kind: 'tool_call', tool: 'read_file', body: '{"path":"src/app.ts"}' }),
      );
      const third = await store.append(
        anEntry(featureId, { kind: 'usage', body: 'turn 1', usage: { inputTokens: 1200, outputTokens: 80, costUsd: 0.0042 } }),
      );

      expect([first.seq, second.seq, third.seq]).toEqual([1, 2, 3]);
      expect(first).toEqual({ ...anEntry(featureId, { kind: 'prompt', body: 'Add GET /health' }), seq: 1, at: '2026-11-25T10:00:00.000Z' });
      expect(second.at).toBe('2026-11-25T10:00:01.000Z');
      expect(await store.list({ featureId })).toEqual({ entries: [first, second, third] });
    });

    it('gives 50 parallel appends of one feature the seqs 1..50, without gaps or duplicates', async () => {
      const appended = await Promise.all(
        Array.from({ length: 50 }, (_, i) => store.append(anEntry(featureId, { taskId: `task-${i % 4}`, body: `turn ${i}` }))),
      );

      expect(appended.map((entry) => entry.seq).sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
      const { entries, nextSeq } = await store.list({ featureId, limit: 100 });
      expect(entries.map((entry) => entry.seq)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
      expect(new Set(entries.map((entry) => entry.body)).size).toBe(50);
      expect(nextSeq).toBeUndefined();
    });

    it('counts seqs per feature', async () => {
      const other = newFeatureId();
      await store.append(anEntry(featureId));
      await store.append(anEntry(featureId));

      const first = await store.append(anEntry(other));

      expect(first.seq).toBe(1);
      expect((await store.list({ featureId: other })).entries).toEqual([first]);
    });

    it('filters by task, leaving out other tasks and feature-level entries', async () => {
      await store.append(anEntry(featureId, { taskId: undefined, role: 'planner', attempt: 0, body: 'plan' }));
      const a1 = await store.append(anEntry(featureId, { taskId: 'endpoint', body: 'a1' }));
      await store.append(anEntry(featureId, { taskId: 'tests', role: 'test', body: 'b1' }));
      const a2 = await store.append(anEntry(featureId, { taskId: 'endpoint', body: 'a2' }));

      expect(await store.list({ featureId, taskId: 'endpoint' })).toEqual({ entries: [a1, a2] });
      expect((await store.list({ featureId, taskId: 'missing' })).entries).toEqual([]);
    });

    it('pages with afterSeq: nextSeq on every page that has more after it, none on the last', async () => {
      for (let i = 1; i <= 5; i++) await store.append(anEntry(featureId, { body: `turn ${i}` }));

      const first = await store.list({ featureId, limit: 2 });
      const second = await store.list({ featureId, limit: 2, afterSeq: first.nextSeq! });
      const third = await store.list({ featureId, limit: 2, afterSeq: second.nextSeq! });

      expect(first.entries.map((e) => e.seq)).toEqual([1, 2]);
      expect(first.nextSeq).toBe(2);
      expect(second.entries.map((e) => e.seq)).toEqual([3, 4]);
      expect(second.nextSeq).toBe(4);
      expect(third).toEqual({ entries: [expect.objectContaining({ seq: 5 })] });
      expect(await store.list({ featureId, afterSeq: 5 })).toEqual({ entries: [] });
    });

    it('pages a task filter by the task’s own entries', async () => {
      for (let i = 1; i <= 6; i++) await store.append(anEntry(featureId, { taskId: i % 2 === 0 ? 'tests' : 'endpoint', body: `turn ${i}` }));

      const first = await store.list({ featureId, taskId: 'tests', limit: 2 });
      const rest = await store.list({ featureId, taskId: 'tests', limit: 2, afterSeq: first.nextSeq! });

      expect(first.entries.map((e) => e.seq)).toEqual([2, 4]);
      expect(first.nextSeq).toBe(4);
      expect(rest).toEqual({ entries: [expect.objectContaining({ seq: 6, taskId: 'tests' })] });
    });

    it('lists nothing for a feature without entries', async () => {
      expect(await store.list({ featureId: newFeatureId() })).toEqual({ entries: [] });
    });

    it('moves a large body to the blob store and keeps a preview and the pointer in the entry', async () => {
      const body = `npm test output\n${'PASS test/app.test.ts\n'.repeat(2_000)}`;
      expect(Buffer.byteLength(body)).toBeGreaterThan(INLINE_BODY_BYTES);

      const entry = await store.append(anEntry(featureId, { kind: 'tool_result', tool: 'run_tests', body }));

      expect(entry.bodyRef).toMatch(new RegExp(`^transcripts/${featureId}/`));
      expect(body.startsWith(entry.body)).toBe(true);
      expect(entry.body.length).toBeLessThan(body.length);
      expect(await blobs.get(entry.bodyRef!)).toBe(body);
      expect((await store.list({ featureId })).entries).toEqual([entry]);
    });

    it('keeps a body at the inline limit in the entry', async () => {
      const body = 'x'.repeat(INLINE_BODY_BYTES);

      const entry = await store.append(anEntry(featureId, { body }));

      expect(entry.bodyRef).toBeUndefined();
      expect((await store.list({ featureId })).entries[0]!.body).toBe(body);
    });

    it('redacts secrets before storing, inline and offloaded', async () => {
      const token = ['ghp_', 'k'.repeat(36)].join('');
      const small = await store.append(anEntry(featureId, { kind: 'tool_result', body: `GITHUB_TOKEN=${token}` }));
      const large = await store.append(anEntry(featureId, { kind: 'tool_result', body: `${'env\n'.repeat(5_000)}GITHUB_TOKEN=${token}` }));

      const { entries } = await store.list({ featureId });
      expect(entries[0]!.body).toBe('GITHUB_TOKEN=[REDACTED:github-token]');
      expect(small.body).toBe('GITHUB_TOKEN=[REDACTED:github-token]');
      const stored = await blobs.get(large.bodyRef!);
      expect(stored).toContain('GITHUB_TOKEN=[REDACTED:github-token]');
      expect(stored).not.toContain(token);
    });

    it('refuses an invalid entry and stores nothing', async () => {
      await expect(store.append({ ...anEntry(featureId), attempt: -1 })).rejects.toBeInstanceOf(ZodError);
      await expect(store.append({ ...anEntry(featureId), kind: 'gossip' } as unknown as TranscriptEntryInput)).rejects.toBeInstanceOf(ZodError);

      expect(await store.list({ featureId })).toEqual({ entries: [] });
    });
  });
}
