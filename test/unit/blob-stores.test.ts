import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetObjectCommand, NoSuchKey, PutObjectCommand, S3Client, type GetObjectCommandOutput } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ZodError } from 'zod';
import { FileBlobStore } from '../../lambdas/adapters/local-files/file-blob-store.js';
import { S3BlobStore } from '../../lambdas/adapters/s3/s3-blob-store.js';

const unsafeKeys = ['../outside.txt', 'transcripts/../../outside.txt', '/etc/passwd', 'a//b', '.hidden', 'a/./b', 'a\\b', 'a/b/', '', 'C:\\x'];

describe('FileBlobStore', () => {
  let parent: string;
  let root: string;
  beforeAll(async () => {
    parent = await mkdtemp(join(tmpdir(), 'dsf-blobs-'));
    root = join(parent, 'transcripts');
  });
  afterAll(async () => {
    await rm(parent, { recursive: true, force: true });
  });

  it('writes a body under the root at its key and reads it back', async () => {
    const store = new FileBlobStore(root);
    const body = 'line 1\nline 2 — ünïcödé 😀\n';

    await store.put('transcripts/feat_1/abc.txt', body);

    expect(await store.get('transcripts/feat_1/abc.txt')).toBe(body);
    expect(await readFile(join(root, 'transcripts/feat_1/abc.txt'), 'utf8')).toBe(body);
    expect(await readdir(join(root, 'transcripts/feat_1'))).toEqual(['abc.txt']);
  });

  it('answers undefined for a key never written', async () => {
    expect(await new FileBlobStore(root).get('transcripts/none.txt')).toBeUndefined();
  });

  it.each(unsafeKeys)('refuses the key %j for writing and reading, and writes nothing', async (key) => {
    const store = new FileBlobStore(root);
    const before = await readdir(parent, { recursive: true });

    await expect(store.put(key, 'x')).rejects.toBeInstanceOf(ZodError);
    await expect(store.get(key)).rejects.toBeInstanceOf(ZodError);

    expect(await readdir(parent, { recursive: true })).toEqual(before);
  });
});

describe('S3BlobStore', () => {
  const s3 = mockClient(S3Client);
  afterEach(() => {
    s3.reset();
  });
  const store = () => new S3BlobStore({ client: new S3Client({ region: 'eu-west-1' }), bucket: 'dsf-transcripts', prefix: 'dev/' });

  it('puts the body as UTF-8 text under the prefix', async () => {
    s3.on(PutObjectCommand).resolves({});

    await store().put('transcripts/feat_1/abc.txt', 'hello');

    expect(s3.commandCalls(PutObjectCommand).map((call) => call.args[0].input)).toEqual([
      { Bucket: 'dsf-transcripts', Key: 'dev/transcripts/feat_1/abc.txt', Body: 'hello', ContentType: 'text/plain; charset=utf-8' },
    ]);
  });

  it('gets the body of an object', async () => {
    const body = { transformToString: async (encoding?: string) => (encoding === 'utf-8' ? 'the body' : 'wrong encoding') };
    s3.on(GetObjectCommand, { Bucket: 'dsf-transcripts', Key: 'dev/transcripts/feat_1/abc.txt' }).resolves({
      Body: body as unknown as GetObjectCommandOutput['Body'],
    });

    expect(await store().get('transcripts/feat_1/abc.txt')).toBe('the body');
  });

  it('answers undefined for a missing (expired) object', async () => {
    s3.on(GetObjectCommand).rejects(new NoSuchKey({ message: 'The specified key does not exist.', $metadata: {} }));

    expect(await store().get('transcripts/gone.txt')).toBeUndefined();
  });

  it('passes on other failures', async () => {
    s3.on(GetObjectCommand).rejects(new Error('AccessDenied'));

    await expect(store().get('transcripts/x.txt')).rejects.toThrow('AccessDenied');
  });

  it('refuses an unsafe key without calling S3', async () => {
    await expect(store().put('../x', 'y')).rejects.toBeInstanceOf(ZodError);

    expect(s3.calls()).toHaveLength(0);
  });
});
