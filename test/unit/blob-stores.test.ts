import { createHash, createHmac } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetObjectCommand, NoSuchKey, PutObjectCommand, S3Client, type GetObjectCommandOutput } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ZodError } from 'zod';
import { FileBlobStore } from '../../lambdas/adapters/local-files/file-blob-store.js';
import { S3BlobStore } from '../../lambdas/adapters/s3/s3-blob-store.js';
import { S3ObjectReader, S3ReadError, s3ObjectUrl, type S3ObjectReaderOptions } from '../../lambdas/adapters/s3/s3-object-reader.js';

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

describe('S3ObjectReader', () => {
  const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY', sessionToken: 'session-token' };
  const emptySha256 = createHash('sha256').update('').digest('hex');
  interface Received {
    readonly method: string;
    readonly path: string;
    readonly headers: IncomingHttpHeaders;
  }
  type Reply = { status: number; body: string; headers?: Record<string, string> };
  let server: Server;
  let endpoint: string;
  let received: Received[];
  let replies: Reply[];

  beforeAll(async () => {
    server = createServer((request, response) => {
      received.push({ method: request.method ?? '', path: request.url ?? '', headers: request.headers });
      const reply = replies.shift() ?? { status: 500, body: '<Error><Code>InternalError</Code></Error>' };
      response.writeHead(reply.status, { 'content-type': 'application/xml', ...reply.headers }).end(reply.body);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });
  beforeEach(() => {
    received = [];
    replies = [];
  });

  const reader = (overrides: Partial<S3ObjectReaderOptions> = {}) =>
    new S3ObjectReader({ bucket: 'dsf-transcripts', region: 'eu-west-1', credentials: async () => credentials, endpoint, prefix: 'dev/', ...overrides });
  const s3Error = (code: string, message: string) => `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>${message}</Message><RequestId>REQ123</RequestId></Error>`;

  /** SigV4 recomputed from what the server received (AWS's documented algorithm, not the SDK's signer). */
  function expectedAuthorization(request: Received): string {
    const date = String(request.headers['x-amz-date']);
    const signedHeaders = /SignedHeaders=([^,]+)/.exec(String(request.headers.authorization))?.[1]?.split(';') ?? [];
    const canonicalHeaders = signedHeaders.map((name) => `${name}:${String(request.headers[name]).trim()}\n`).join('');
    const canonicalRequest = [request.method, request.path, '', canonicalHeaders, signedHeaders.join(';'), String(request.headers['x-amz-content-sha256'])].join('\n');
    const scope = `${date.slice(0, 8)}/eu-west-1/s3/aws4_request`;
    const stringToSign = ['AWS4-HMAC-SHA256', date, scope, createHash('sha256').update(canonicalRequest).digest('hex')].join('\n');
    const key = ['eu-west-1', 's3', 'aws4_request'].reduce((k, part) => createHmac('sha256', k).update(part).digest(), createHmac('sha256', `AWS4${credentials.secretAccessKey}`).update(date.slice(0, 8)).digest());
    const signature = createHmac('sha256', key).update(stringToSign).digest('hex');
    return `AWS4-HMAC-SHA256 Credential=${credentials.accessKeyId}/${scope}, SignedHeaders=${signedHeaders.join(';')}, Signature=${signature}`;
  }

  it('reads the body with a GET signed with SigV4 for S3, at /<bucket>/<prefix><key>', async () => {
    const body = 'line 1\nline 2 — ünïcödé 😀\n';
    replies.push({ status: 200, body, headers: { 'content-type': 'text/plain; charset=utf-8' } });

    expect(await reader().get('transcripts/feat_1/abc.txt')).toBe(body);

    const [request] = received;
    expect(received).toHaveLength(1);
    expect(request).toMatchObject({ method: 'GET', path: '/dsf-transcripts/dev/transcripts/feat_1/abc.txt' });
    expect(request!.headers).toMatchObject({
      'x-amz-content-sha256': emptySha256,
      'x-amz-date': expect.stringMatching(/^\d{8}T\d{6}Z$/),
      'x-amz-security-token': 'session-token',
      authorization: expect.stringMatching(/^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/eu-west-1\/s3\/aws4_request, SignedHeaders=host;x-amz-content-sha256;x-amz-date;x-amz-security-token, Signature=[0-9a-f]{64}$/),
    });
    expect(request!.headers.authorization).toBe(expectedAuthorization(request!));
  });

  it('answers undefined for a missing (expired) object', async () => {
    replies.push({ status: 404, body: s3Error('NoSuchKey', 'The specified key does not exist.') });

    expect(await reader().get('transcripts/gone.txt')).toBeUndefined();
  });

  it('fails with S3\'s code, message and request id for a missing bucket or a refusal, without retrying', async () => {
    replies.push({ status: 404, body: s3Error('NoSuchBucket', 'The specified bucket does not exist') });
    replies.push({ status: 403, body: s3Error('AccessDenied', 'Access Denied') });

    await expect(reader().get('transcripts/x.txt')).rejects.toMatchObject({ name: 'S3ReadError', status: 404, code: 'NoSuchBucket' });
    const refused = reader().get('transcripts/x.txt');
    await expect(refused).rejects.toBeInstanceOf(S3ReadError);
    await expect(refused).rejects.toThrow('S3 GetObject s3://dsf-transcripts/transcripts/x.txt failed: HTTP 403 AccessDenied: Access Denied (request id REQ123)');
    expect(received).toHaveLength(2);
  });

  it('retries a throttle or a server error, and gives up after maxAttempts', async () => {
    replies.push({ status: 503, body: s3Error('SlowDown', 'Please reduce your request rate.') }, { status: 200, body: 'after a retry' });

    expect(await reader().get('transcripts/x.txt')).toBe('after a retry');
    expect(received).toHaveLength(2);

    await expect(reader({ maxAttempts: 2 }).get('transcripts/x.txt')).rejects.toMatchObject({ status: 500, code: 'InternalError' });
    expect(received).toHaveLength(4);
  });

  it('fails clearly when S3 cannot be reached', async () => {
    await expect(reader({ endpoint: 'http://127.0.0.1:1', maxAttempts: 1 }).get('transcripts/x.txt')).rejects.toThrow(/^S3 GetObject s3:\/\/dsf-transcripts\/transcripts\/x.txt failed: /);
  });

  it.each(unsafeKeys)('refuses the key %j without a request', async (key) => {
    await expect(reader().get(key)).rejects.toBeInstanceOf(ZodError);

    expect(received).toHaveLength(0);
  });

  it('addresses buckets virtual-hosted on AWS, path-style for dotted names and for a configured endpoint', () => {
    expect(s3ObjectUrl({ bucket: 'dsf-transcripts', region: 'eu-west-1' }, 'transcripts/a.txt').href).toBe('https://dsf-transcripts.s3.eu-west-1.amazonaws.com/transcripts/a.txt');
    expect(s3ObjectUrl({ bucket: 'dsf.transcripts', region: 'eu-west-1' }, 'a.txt').href).toBe('https://s3.eu-west-1.amazonaws.com/dsf.transcripts/a.txt');
    expect(s3ObjectUrl({ bucket: 'dsf-transcripts', region: 'cn-north-1' }, 'a.txt').href).toBe('https://dsf-transcripts.s3.cn-north-1.amazonaws.com.cn/a.txt');
    expect(s3ObjectUrl({ bucket: 'dsf-transcripts', region: 'eu-west-1', endpoint: 'http://localhost:4566/' }, 'a/b.txt').href).toBe('http://localhost:4566/dsf-transcripts/a/b.txt');
  });
});
