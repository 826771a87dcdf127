import { GetObjectCommand, NoSuchKey, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { blobKeySchema, type BlobStore } from '../../ports/transcript-store.js';

/**
 * BlobStore on an S3 bucket (or any S3-compatible store the client points at).
 * Encryption at rest and expiry are the bucket's (see lib/storage.ts); keys are
 * checked like every BlobStore's, then put under `prefix`.
 */
export class S3BlobStore implements BlobStore {
  constructor(private readonly deps: { client: S3Client; bucket: string; prefix?: string }) {}

  async put(key: string, body: string): Promise<void> {
    await this.deps.client.send(
      new PutObjectCommand({
        Bucket: this.deps.bucket,
        Key: this.objectKey(key),
        Body: body,
        ContentType: 'text/plain; charset=utf-8',
      }),
    );
  }

  async get(key: string): Promise<string | undefined> {
    try {
      const { Body } = await this.deps.client.send(new GetObjectCommand({ Bucket: this.deps.bucket, Key: this.objectKey(key) }));
      return Body === undefined ? undefined : await Body.transformToString('utf-8');
    } catch (error) {
      // Expired by the bucket's lifecycle rule, or never written: the entry's preview is all there is.
      if (error instanceof NoSuchKey) return undefined;
      throw error;
    }
  }

  private objectKey(key: string): string {
    return `${this.deps.prefix ?? ''}${blobKeySchema.parse(key)}`;
  }
}
