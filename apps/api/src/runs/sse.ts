import type { Request, Response } from 'express';
import { Subscription, type Observable } from 'rxjs';

/** One server-sent event: its `event:` name and the JSON of its `data:`. */
export interface SseMessage {
  event: string;
  data: unknown;
}

/** How often an idle stream gets a comment line, so proxies and browsers keep it open (ms). */
export const SSE_HEARTBEAT_MS = 15_000;

/**
 * Formats one event in the `text/event-stream` format of the HTML standard ("Server-sent events"):
 * `event: <name>`, `data: <JSON>` (JSON has no raw newlines), a blank line.
 */
export function formatSse(message: SseMessage): string {
  return `event: ${message.event}\ndata: ${JSON.stringify(message.data)}\n\n`;
}

/**
 * Answers `req` with a `text/event-stream` of `messages`: headers at once, a `: heartbeat` comment
 * every `heartbeatMs`, one event per message; the response ends when `messages` completes or errors,
 * and the subscription is dropped when the client goes away.
 */
export function sendEventStream(req: Request, res: Response, messages: Observable<SseMessage>, heartbeatMs = SSE_HEARTBEAT_MS): void {
  res.status(200);
  res.setHeader('Content-Type', 'text/event-stream; charset=utf-8');
  res.setHeader('Cache-Control', 'no-cache, no-transform');
  res.setHeader('Connection', 'keep-alive');
  res.setHeader('X-Accel-Buffering', 'no');
  res.flushHeaders();
  res.write(': connected\n\n');
  const subscription = new Subscription();
  const heartbeat = setInterval(() => res.write(': heartbeat\n\n'), heartbeatMs);
  subscription.add(() => clearInterval(heartbeat));
  const finish = () => {
    subscription.unsubscribe();
    if (!res.writableEnded) res.end();
  };
  req.on('close', finish);
  subscription.add(
    messages.subscribe({
      next: (message) => {
        if (!res.writableEnded) res.write(formatSse(message));
      },
      complete: finish,
      error: finish,
    }),
  );
}
