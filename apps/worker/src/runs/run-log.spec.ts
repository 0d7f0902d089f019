import { RunLog } from './run-log';

describe('RunLog', () => {
  it("keeps 1000 of the flow's lines, then the platform's own lines and a note of what was dropped", () => {
    const published: string[] = [];
    const log = new RunLog((line) => published.push(line.message));
    log.info('attempt 1 of 1');
    for (let i = 0; i < 1500; i++) log.flowLog.info(`flow line ${i}`);
    log.error('run failed: LIMIT_LOG: too much');
    const messages = log.collected().map((line) => line.message);
    expect(messages).toHaveLength(1 + 1000 + 1 + 1);
    expect(messages[1000]).toBe('flow line 999');
    expect(messages.at(-2)).toBe('run failed: LIMIT_LOG: too much');
    expect(messages.at(-1)).toBe('500 more log lines were dropped (limit 1000)');
    expect(published).toHaveLength(1002);
  });
});
