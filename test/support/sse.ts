/**
 * A small reader of server-sent events (`text/event-stream`, the HTML standard's format) over fetch,
 * for end-to-end tests: no EventSource in Node, and no dependency for it.
 */

/** One dispatched event: its `event:` name (`message` by default) and its `data:` lines joined by `\n`. */
export interface ServerSentEvent {
  event: string;
  data: string;
}

/**
 * Parses `text/event-stream` text fed in chunks: `field: value` lines, `:` comments, events dispatched
 * at a blank line when they have data (as browsers do), CR LF, LF or CR line ends.
 */
export class SseParser {
  /** Comment lines seen (heartbeats), without the colon. */
  readonly comments: string[] = [];
  private buffer = '';
  private event = '';
  private data: string[] = [];

  constructor(private readonly dispatch: (event: ServerSentEvent) => void) {}

  feed(chunk: string): void {
    this.buffer += chunk;
    const lines = this.buffer.split(/\r\n|\n|\r/);
    this.buffer = lines.pop() ?? '';
    for (const line of lines) this.line(line);
  }

  private line(line: string): void {
    if (line === '') {
      if (this.data.length > 0) this.dispatch({ event: this.event || 'message', data: this.data.join('\n') });
      this.event = '';
      this.data = [];
      return;
    }
    if (line.startsWith(':')) {
      this.comments.push(line.slice(1).trim());
      return;
    }
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    const value = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '');
    if (field === 'event') this.event = value;
    if (field === 'data') this.data.push(value);
  }
}

/** An open event stream: every event received so far, waiting for more, closing. */
export class EventStream {
  readonly events: ServerSentEvent[] = [];
  /** Resolves once the server ended the stream (or it was closed here). */
  readonly ended: Promise<void>;
  private readonly parser = new SseParser((event) => {
    this.events.push(event);
    this.wake();
  });
  private waiters: (() => void)[] = [];
  private done = false;

  private constructor(
    readonly response: Response,
    private readonly abort: AbortController,
  ) {
    this.ended = this.pump();
  }

  /**
   * Opens `url` with `Authorization: Bearer <token>` (none when undefined). Resolves once the headers
   * arrived: a stream for 200 with `text/event-stream`, else the status and JSON body of the refusal.
   */
  static async open(url: string, token?: string): Promise<EventStream | { status: number; body: any }> {
    const abort = new AbortController();
    const res = await fetch(url, { headers: token ? { authorization: `Bearer ${token}` } : {}, signal: abort.signal });
    if (res.status !== 200 || !res.headers.get('content-type')?.startsWith('text/event-stream')) {
      const text = await res.text();
      return { status: res.status, body: text ? JSON.parse(text) : undefined };
    }
    return new EventStream(res, abort);
  }

  /** Comment lines received (`connected`, `heartbeat`). */
  get comments(): string[] {
    return this.parser.comments;
  }

  /** The `data` of every event named `name`, parsed as JSON. */
  data<T = any>(name: string): T[] {
    return this.events.filter((e) => e.event === name).map((e) => JSON.parse(e.data) as T);
  }

  /**
   * Waits until `probe` (called with all events so far) returns a value other than undefined/false.
   * @throws when `timeoutMs` passes or the stream ends first, listing what was received.
   */
  async until<T>(what: string, probe: (events: ServerSentEvent[]) => T | undefined | false, timeoutMs = 20_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = probe(this.events);
      if (value !== undefined && value !== false) return value;
      if (this.done) throw new Error(`stream ended before ${what}; received ${JSON.stringify(this.events)}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${what}; received ${JSON.stringify(this.events)}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Closes the stream from this side. */
  async close(): Promise<void> {
    this.abort.abort();
    await this.ended;
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    waiters.forEach((w) => w());
  }

  private async pump(): Promise<void> {
    const decoder = new TextDecoder();
    try {
      for await (const chunk of this.response.body as unknown as AsyncIterable<Uint8Array>) {
        this.parser.feed(decoder.decode(chunk, { stream: true }));
      }
    } catch {
      // aborted here, or the connection dropped: either way the stream has ended
    } finally {
      this.done = true;
      this.wake();
    }
  }
}
