/** One Server-Sent Event as a browser's EventSource would see it. */
export interface ServerSentEvent {
  readonly id?: string;
  readonly event: string;
  readonly data: string;
}

/**
 * Reads a `text/event-stream` body event by event (the parsing rules of the HTML
 * standard, minus the ones the server never uses: multi-line data is joined with \n).
 */
export class SseReader {
  private buffer = '';
  private readonly decoder = new TextDecoder();
  private readonly reader: ReadableStreamDefaultReader<Uint8Array>;
  /** The `retry:` value the server sent, if any. */
  retry: number | undefined;

  constructor(response: Response) {
    if (!response.body) throw new Error('response has no body');
    this.reader = response.body.getReader();
  }

  /** The next event, or undefined when the stream ends. */
  async next(): Promise<ServerSentEvent | undefined> {
    for (;;) {
      const boundary = this.buffer.indexOf('\n\n');
      if (boundary >= 0) {
        const block = this.buffer.slice(0, boundary);
        this.buffer = this.buffer.slice(boundary + 2);
        const event = this.parse(block);
        if (event) return event;
        continue;
      }
      const { value, done } = await this.reader.read();
      if (done) return undefined;
      this.buffer += this.decoder.decode(value, { stream: true });
    }
  }

  /** Events until `stop` says so (inclusive), failing after `timeoutMs`. */
  async until(stop: (event: ServerSentEvent) => boolean, timeoutMs = 15_000): Promise<ServerSentEvent[]> {
    const seen: ServerSentEvent[] = [];
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const left = deadline - Date.now();
      const event = await Promise.race([
        this.next(),
        new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), Math.max(0, left)).unref()),
      ]);
      if (event === 'timeout') throw new Error(`no matching event within ${timeoutMs} ms; saw ${seen.map((e) => e.event).join(', ')}`);
      if (event === undefined) throw new Error('the stream ended before a matching event');
      seen.push(event);
      if (stop(event)) return seen;
    }
  }

  async cancel(): Promise<void> {
    await this.reader.cancel().catch(() => undefined);
  }

  private parse(block: string): ServerSentEvent | undefined {
    let id: string | undefined;
    let event = 'message';
    const data: string[] = [];
    for (const line of block.split('\n')) {
      if (line === '' || line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (field === 'id') id = value;
      else if (field === 'event') event = value;
      else if (field === 'data') data.push(value);
      else if (field === 'retry') this.retry = Number(value);
    }
    if (data.length === 0) return undefined;
    return { ...(id === undefined ? {} : { id }), event, data: data.join('\n') };
  }
}
