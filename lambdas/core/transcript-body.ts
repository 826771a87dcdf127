import { redactSecrets } from './redact.js';

/**
 * Bodies up to this size stay in the table item. DynamoDB caps an item at
 * 400 KB and every read of a page pays for the bytes it returns, so big tool
 * output goes to the blob store instead.
 */
export const INLINE_BODY_BYTES = 16 * 1024;
/** What an offloaded entry keeps inline: enough for a one-line preview and a glance. */
export const PREVIEW_BYTES = 2 * 1024;
/** A stored body is cut beyond this, so one entry always fits an API response (Lambda caps those at 6 MB). */
export const MAX_BODY_BYTES = 1024 * 1024;

export interface PreparedBody {
  /** What the entry carries: the whole body, or its preview when `full` is set. */
  readonly inline: string;
  /** The whole (redacted, capped) body, set when it is too large to keep inline. */
  readonly full?: string;
}

/** Redacts, caps and splits a body: the one policy both transcript stores apply on append. */
export function prepareTranscriptBody(body: string): PreparedBody {
  const redacted = redactSecrets(body);
  const bytes = Buffer.byteLength(redacted, 'utf8');
  if (bytes <= INLINE_BODY_BYTES) return { inline: redacted };
  const capped = bytes <= MAX_BODY_BYTES ? redacted : `${truncateUtf8(redacted, MAX_BODY_BYTES - 64)}\n[cut: the body had ${bytes} bytes]`;
  return { inline: truncateUtf8(redacted, PREVIEW_BYTES), full: capped };
}

/** Where an offloaded body lives; `unique` keeps keys apart without waiting for the entry's seq. */
export function transcriptBlobKey(featureId: string, unique: string): string {
  return `transcripts/${featureId}/${unique}.txt`;
}

/** The longest prefix of `text` of at most `maxBytes` UTF-8 bytes, never splitting a character. */
export function truncateUtf8(text: string, maxBytes: number): string {
  if (Buffer.byteLength(text, 'utf8') <= maxBytes) return text;
  let bytes = 0;
  let end = 0;
  for (const char of text) {
    const size = Buffer.byteLength(char, 'utf8');
    if (bytes + size > maxBytes) break;
    bytes += size;
    end += char.length;
  }
  return text.slice(0, end);
}
