import { describe, expect, it, vi } from 'vitest';
import { DynamoDbTranscriptReader, DynamoDbTranscriptStore } from '../../lambdas/adapters/dynamodb/dynamodb-transcript-store.js';
import { S3BlobStore } from '../../lambdas/adapters/s3/s3-blob-store.js';
import { S3ObjectReader } from '../../lambdas/adapters/s3/s3-object-reader.js';
import { buildAwsApiDeps } from '../../lambdas/aws-deps.js';
import { buildAwsTranscriptApiDeps } from '../../lambdas/aws-transcript-api-deps.js';
import { buildAwsTranscripts } from '../../lambdas/aws-transcript-deps.js';
import { ConfigError } from '../../lambdas/config.js';
import { MemoryFeatureStore } from '../../lambdas/adapters/memory/memory-feature-store.js';
import { MemoryBlobStore, MemoryTranscriptStore } from '../../lambdas/adapters/memory/memory-transcript-store.js';
import { NotFoundError } from '../../lambdas/core/errors.js';
import type { AppLogger } from '../../lambdas/ports/logger.js';
import type { TranscriptStore } from '../../lambdas/ports/transcript-store.js';
import { FULL_PAGE_BUDGET_BYTES, getFeatureTranscript, transcriptSinkFor } from '../../lambdas/use-cases/transcripts.js';
import { ids, ManualClock, sampleFeature } from '../support/fixtures.js';
import { anEntry } from '../contract/transcript-store.contract.js';

function recordingLogger() {
  const warnings: { message: string; extra: Record<string, unknown>[] }[] = [];
  const logger: AppLogger = { debug: vi.fn(), info: vi.fn(), error: vi.fn(), warn: (message, ...extra) => warnings.push({ message, extra }) };
  return { logger, warnings };
}

describe('transcriptSinkFor', () => {
  it('appends through the store', async () => {
    const store = new MemoryTranscriptStore({ clock: new ManualClock(), blobs: new MemoryBlobStore() });
    const { logger, warnings } = recordingLogger();

    await transcriptSinkFor(store, logger)(anEntry('feat_1', { body: 'hello' }));

    expect((await store.list({ featureId: 'feat_1' })).entries).toEqual([expect.objectContaining({ seq: 1, body: 'hello' })]);
    expect(warnings).toEqual([]);
  });

  it('never throws: a failed append is logged with its keys and dropped', async () => {
    const failing: TranscriptStore = { append: async () => Promise.reject(new Error('table is gone')), list: async () => ({ entries: [] }) };
    const { logger, warnings } = recordingLogger();

    await expect(transcriptSinkFor(failing, logger)(anEntry('feat_1', { taskId: 'endpoint', kind: 'tool_call' }))).resolves.toBeUndefined();

    expect(warnings).toEqual([
      {
        message: 'transcript entry dropped',
        extra: [{ featureId: 'feat_1', taskId: 'endpoint', kind: 'tool_call', error: { name: 'Error', message: 'table is gone' } }],
      },
    ]);
  });

  it('drops an entry the store refuses as invalid without throwing', async () => {
    const store = new MemoryTranscriptStore({ clock: new ManualClock(), blobs: new MemoryBlobStore() });
    const { logger, warnings } = recordingLogger();

    await transcriptSinkFor(store, logger)({ ...anEntry('feat_1'), attempt: -3 });

    expect(warnings.map((w) => w.message)).toEqual(['transcript entry dropped']);
    expect((await store.list({ featureId: 'feat_1' })).entries).toEqual([]);
  });
});

describe('getFeatureTranscript', () => {
  async function setup() {
    const clock = new ManualClock();
    const store = new MemoryFeatureStore({ clock, ids });
    const { feature, tasks } = sampleFeature(clock);
    await store.createFeature({ feature, tasks });
    const bodies = new MemoryBlobStore();
    const entries = new MemoryTranscriptStore({ clock, blobs: bodies });
    return { deps: { store, transcripts: { entries, bodies } }, featureId: feature.id, entries };
  }

  it('refuses an unknown feature', async () => {
    const { deps } = await setup();

    await expect(getFeatureTranscript(deps, 'feat_unknown', { limit: 10, full: false })).rejects.toBeInstanceOf(NotFoundError);
  });

  it('returns previews by default and whole bodies with full', async () => {
    const { deps, featureId, entries } = await setup();
    const big = `${'a'.repeat(20_000)}END`;
    await entries.append(anEntry(featureId, { body: big }));

    const previews = await getFeatureTranscript(deps, featureId, { limit: 10, full: false });
    const full = await getFeatureTranscript(deps, featureId, { limit: 10, full: true });

    expect(previews.items[0]!.body.length).toBeLessThan(big.length);
    expect(full.items[0]).toMatchObject({ seq: 1, body: big, bodyRef: previews.items[0]!.bodyRef });
  });

  it('cuts a full page before it outgrows the response budget, with nextSeq to go on', async () => {
    const { deps, featureId, entries } = await setup();
    // Each body is 1 MiB (the stored maximum), so the budget holds fewer than the page asked for.
    for (let i = 0; i < 6; i++) await entries.append(anEntry(featureId, { body: String(i).repeat(1024 * 1024 - 100) }));

    const first = await getFeatureTranscript(deps, featureId, { limit: 10, full: true });
    const rest = await getFeatureTranscript(deps, featureId, { limit: 10, full: true, afterSeq: first.nextSeq! });

    const size = Buffer.byteLength(JSON.stringify(first.items));
    expect(size).toBeLessThanOrEqual(FULL_PAGE_BUDGET_BYTES);
    expect(first.items.length).toBeGreaterThan(0);
    expect(first.nextSeq).toBe(first.items.at(-1)!.seq);
    expect([...first.items, ...rest.items].map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(rest.nextSeq).toBeUndefined();
  });
});

describe('transcripts on AWS', () => {
  const env = {
    AWS_REGION: 'eu-west-1',
    TABLE_NAME: 'dsf-dev',
    STATE_MACHINE_ARN: 'arn:aws:states:eu-west-1:111111111111:stateMachine:dsf-feature',
  };

  it('are wired to the table and the bucket when the bucket is configured, and absent otherwise', () => {
    const withBucket = { ...env, DSF_TRANSCRIPT_BUCKET: 'dsf-dev-transcripts', DSF_TRANSCRIPT_RETENTION_DAYS: '30' };

    // The route reads only: entries from the table, bodies with signed GETs (no S3 client in its bundle).
    const read = buildAwsTranscriptApiDeps(withBucket).transcripts;
    expect(read).toEqual({ entries: expect.any(DynamoDbTranscriptReader), bodies: expect.any(S3ObjectReader) });
    expect(read?.entries).not.toBeInstanceOf(DynamoDbTranscriptStore);
    expect(buildAwsTranscripts(withBucket)).toEqual({ entries: expect.any(DynamoDbTranscriptStore), bodies: expect.any(S3BlobStore) });
    // The other API functions never build the S3 client (it would bloat their bundles).
    expect(buildAwsApiDeps(withBucket).transcripts).toBeUndefined();
    expect(buildAwsTranscriptApiDeps(env).transcripts).toBeUndefined();
    expect(buildAwsTranscripts(env)).toBeUndefined();
  });

  it('refuse a bucket name S3 would refuse, naming the variable', () => {
    expect(() => buildAwsTranscriptApiDeps({ ...env, DSF_TRANSCRIPT_BUCKET: 'Not_A_Bucket' })).toThrow(ConfigError);
    const { AWS_REGION: _region, ...withoutRegion } = env;
    expect(() => buildAwsTranscriptApiDeps({ ...withoutRegion, DSF_TRANSCRIPT_BUCKET: 'dsf-dev-transcripts' })).toThrow(/AWS_REGION: is required when DSF_TRANSCRIPT_BUCKET is set/);
    expect(() => buildAwsTranscripts({ ...env, DSF_TRANSCRIPT_RETENTION_DAYS: '0' })).toThrow(/DSF_TRANSCRIPT_RETENTION_DAYS/);
  });
});
