import { Sha256 } from '@smithy/core/checksum';
import { HttpRequest } from '@smithy/core/protocols';
import { SignatureV4 } from '@smithy/signature-v4';
import type { AwsCredentialIdentityProvider } from '@smithy/types';
import { blobKeySchema, type BlobReader } from '../../ports/transcript-store.js';

export interface S3ObjectReaderOptions {
  readonly bucket: string;
  readonly region: string;
  /** The function's credentials; on Lambda, the SDK's default chain, which finds them in the environment. */
  readonly credentials: AwsCredentialIdentityProvider;
  /**
   * An S3-compatible endpoint, addressed path-style (`<endpoint>/<bucket>/<key>`): tests, local stores.
   * @default virtual-hosted `https://<bucket>.s3.<region>.amazonaws.com/<key>` (path-style on that host for a bucket name with dots, which the wildcard certificate does not cover)
   */
  readonly endpoint?: string;
  /** Put before every key, as S3BlobStore does. @default none */
  readonly prefix?: string;
  /** Attempts per read: a 5xx, a throttle or a network error is retried, with backoff, like the SDK's standard mode. @default 3 */
  readonly maxAttempts?: number;
}

/** A GetObject that S3 answered with an error other than NoSuchKey; `code` is S3's (AccessDenied, NoSuchBucket, SlowDown…). */
export class S3ReadError extends Error {
  constructor(
    readonly status: number,
    readonly code: string | undefined,
    readonly requestId: string | undefined,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'S3ReadError';
  }
}

/**
 * BlobReader on an S3 bucket: one SigV4-signed GET per read, over `fetch`.
 *
 * The API's transcript route only reads bodies from one bucket; the S3 client
 * would add ~170 KB of code to its bundle for that. The signer, the SHA-256 and
 * the credential chain used here are the ones the DynamoDB client already
 * brings into every function. Writes stay on S3BlobStore (the S3 client) in the
 * agent workers, which are container images.
 */
export class S3ObjectReader implements BlobReader {
  private readonly signer: SignatureV4;

  constructor(private readonly options: S3ObjectReaderOptions) {
    // S3 signs the path as sent, not encoded a second time (uriEscapePath), and wants the payload hash header (applyChecksum).
    this.signer = new SignatureV4({ service: 's3', region: options.region, credentials: options.credentials, sha256: Sha256, uriEscapePath: false, applyChecksum: true });
  }

  async get(key: string): Promise<string | undefined> {
    const url = s3ObjectUrl(this.options, `${this.options.prefix ?? ''}${blobKeySchema.parse(key)}`);
    const attempts = this.options.maxAttempts ?? 3;
    for (let attempt = 1; ; attempt++) {
      let response: Response;
      try {
        response = await this.send(url);
      } catch (error) {
        if (attempt >= attempts) throw new S3ReadError(0, undefined, undefined, `S3 GetObject s3://${this.options.bucket}/${key} failed: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
        await backoff(attempt);
        continue;
      }
      if (response.ok) return response.text();
      const failure = await readError(response);
      // Expired by the bucket's lifecycle rule, or never written: the entry's preview is all there is. A missing bucket is an error.
      if (response.status === 404 && failure.code === 'NoSuchKey') return undefined;
      if (attempt < attempts && isTransient(response.status, failure.code)) {
        await backoff(attempt);
        continue;
      }
      const detail = [failure.code, failure.message].filter(Boolean).join(': ');
      throw new S3ReadError(
        response.status,
        failure.code,
        failure.requestId,
        `S3 GetObject s3://${this.options.bucket}/${key} failed: HTTP ${response.status}${detail ? ` ${detail}` : ''}${failure.requestId ? ` (request id ${failure.requestId})` : ''}`,
      );
    }
  }

  private async send(url: URL): Promise<Response> {
    const request = new HttpRequest({
      method: 'GET',
      protocol: url.protocol,
      hostname: url.hostname,
      ...(url.port ? { port: Number(url.port) } : {}),
      path: url.pathname,
      headers: { host: url.host },
    });
    const signed = await this.signer.sign(request);
    // A redirect (a bucket in another region) would be followed with headers signed for this host: report it instead.
    return fetch(url, { method: 'GET', headers: signed.headers, redirect: 'manual' });
  }

}

/** Where an object is read from: see S3ObjectReaderOptions.endpoint. */
export function s3ObjectUrl(location: Pick<S3ObjectReaderOptions, 'bucket' | 'region' | 'endpoint'>, objectKey: string): URL {
  const { bucket, region, endpoint } = location;
  const path = objectKey.split('/').map(encodeURIComponent).join('/');
  if (endpoint !== undefined) return new URL(`${endpoint.replace(/\/+$/, '')}/${bucket}/${path}`);
  const domain = region.startsWith('cn-') ? 'amazonaws.com.cn' : 'amazonaws.com';
  return bucket.includes('.') ? new URL(`https://s3.${region}.${domain}/${bucket}/${path}`) : new URL(`https://${bucket}.s3.${region}.${domain}/${path}`);
}

/** S3's XML error body: `<Error><Code>…</Code><Message>…</Message><RequestId>…</RequestId></Error>`. */
async function readError(response: Response): Promise<{ code?: string; message?: string; requestId?: string }> {
  const body = await response.text().catch(() => '');
  const element = (name: string) => new RegExp(`<${name}>([^<]*)</${name}>`).exec(body)?.[1];
  const requestId = element('RequestId') ?? response.headers.get('x-amz-request-id') ?? undefined;
  const [code, message] = [element('Code'), element('Message')];
  return { ...(code ? { code } : {}), ...(message ? { message } : {}), ...(requestId ? { requestId } : {}) };
}

const isTransient = (status: number, code: string | undefined): boolean => status >= 500 || status === 429 || code === 'SlowDown' || code === 'RequestTimeout';

/** Full jitter on 100 ms doubling, like the SDK's standard retry strategy. */
const backoff = (attempt: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, Math.random() * 100 * 2 ** (attempt - 1)));
