import { SseParser, type ServerSentEvent } from '@openflows/test-support/sse';
import { formatSse } from './sse';

describe('formatSse', () => {
  it('writes events that a standard parser reads back, JSON data on one line', () => {
    const received: ServerSentEvent[] = [];
    const parser = new SseParser((e) => received.push(e));
    const run = { id: 'r1', status: 'running', error: 'line one\nline two', event: { replayOf: null } };

    const text = `: connected\n\n${formatSse({ event: 'run', data: run })}${formatSse({ event: 'end', data: { id: 'r1', status: 'failed' } })}`;
    // Fed in awkward chunks, as a network delivers it.
    for (let i = 0; i < text.length; i += 7) parser.feed(text.slice(i, i + 7));

    expect(formatSse({ event: 'log', data: { message: 'a\nb' } })).toBe('event: log\ndata: {"message":"a\\nb"}\n\n');
    expect(received.map((e) => e.event)).toEqual(['run', 'end']);
    expect(JSON.parse(received[0].data)).toEqual(run);
    expect(parser.comments).toEqual(['connected']);
  });
});
