import { randomUUID } from 'node:crypto';
import { unboundHost } from '@openflows/sdk/sdk';
import type { FlowEvent, FlowLogger, LogFields } from '@openflows/sdk';
import { executeFlow, type RunRequest, type RunServices } from './run';

/** A FlowLogger keeping its messages, and run services whose log it is (the rest unbound). */
function servicesWithLog() {
  const messages: string[] = [];
  const line = (level: string) => (message: string, _fields?: LogFields) => messages.push(`${level}: ${message}`);
  const log: FlowLogger = { debug: line('debug'), info: line('info'), warn: line('warn'), error: line('error') };
  const { chatCompletion, store } = unboundHost();
  const services: RunServices = { chatCompletion, store, log, providers: {} };
  return { services, messages };
}

/** An event as the worker hands it over: `issues.opened` on `octo/hello` unless overridden. */
function eventFactory(overrides: Partial<RunRequest['event']> = {}): RunRequest['event'] {
  return {
    id: randomUUID(),
    provider: 'github',
    name: 'issues',
    action: 'opened',
    deliveryId: randomUUID(),
    target: 'octo/hello',
    payload: { issue: { number: 42 } },
    ...overrides,
  };
}

/** A flow bundle listening with three handlers that each log which one they are. */
const THREE_HANDLERS = `"use strict";
const { listenToEvent, github, log } = require("@openflows/sdk");
exports.run = async function run() {
  await listenToEvent(github.repo("Octo", "Hello"), ["issues", "issue_comment"], async (e) => log.info("hello-issues " + e.name + "." + e.action + " #" + e.payload.issue.number));
  await listenToEvent(github.repo("octo", "other"), "issues", async () => log.info("other-issues"));
  await listenToEvent(github.repo("octo", "hello"), "pull_request", async () => log.info("hello-pull-request"));
};
`;

function request(bundle: string, event: RunRequest['event'], services: RunServices, env: Record<string, string> = {}): RunRequest {
  return { flowName: 'test-flow', bundle, env, event, services };
}

describe('executeFlow', () => {
  it('calls only the handler whose target and event name match, with the event', async () => {
    const { services, messages } = servicesWithLog();
    const result = await executeFlow(request(THREE_HANDLERS, eventFactory(), services));
    expect(result).toEqual({ handled: 1 });
    expect(messages).toEqual(['info: hello-issues issues.opened #42']);
  });

  it('matches a Slack event under any of its names, and nothing under another channel', async () => {
    const bundle = `"use strict";
const { listenToEvent, slack, log } = require("@openflows/sdk");
exports.run = async function run() {
  await listenToEvent(slack.channel("Acme", "#general"), ["message"], async (e) => log.info("general " + e.payload.event.text));
  await listenToEvent(slack.channel("T0ACME", "C0RANDOM"), ["message"], async () => log.info("random"));
};
`;
    const { services, messages } = servicesWithLog();
    const event = eventFactory({
      provider: 'slack',
      name: 'message',
      action: undefined,
      target: 't0acme/c0general',
      targets: ['t0acme/c0general', 't0acme/general', 'acme/c0general', 'acme/general'],
      payload: { event: { text: 'hi' } },
    });
    expect(await executeFlow(request(bundle, event, services))).toEqual({ handled: 1 });
    expect(messages).toEqual(['info: general hi']);
  });

  it('matches another event name of the same subscription', async () => {
    const { services, messages } = servicesWithLog();
    const result = await executeFlow(request(THREE_HANDLERS, eventFactory({ name: 'issue_comment', action: 'created' }), services));
    expect(result).toEqual({ handled: 1 });
    expect(messages).toEqual(['info: hello-issues issue_comment.created #42']);
  });

  it('calls nothing for another repository, event name or provider', async () => {
    for (const event of [
      eventFactory({ target: 'octo/unknown' }),
      eventFactory({ name: 'push' }),
      eventFactory({ target: undefined }),
      eventFactory({ provider: 'slack' as FlowEvent['provider'] }),
    ]) {
      const { services, messages } = servicesWithLog();
      expect(await executeFlow(request(THREE_HANDLERS, event, services))).toEqual({ handled: 0 });
      expect(messages).toEqual([]);
    }
  });

  it('calls every handler that matches', async () => {
    const bundle = `"use strict";
      const { listenToEvent, github, log } = require("@openflows/sdk");
      exports.run = async () => {
        await listenToEvent(github.repo("octo", "hello"), "issues", () => log.info("first"));
        await listenToEvent(github.repo("octo", "hello"), ["push", "issues"], () => log.info("second"));
      };`;
    const { services, messages } = servicesWithLog();
    expect(await executeFlow(request(bundle, eventFactory(), services))).toEqual({ handled: 2 });
    expect(messages).toEqual(['info: first', 'info: second']);
  });

  it("returns the first matched handler's return value that is not undefined, as a JSON copy", async () => {
    const bundle = `"use strict";
const { listenToEvent, github } = require("@openflows/sdk");
exports.run = async function run() {
  await listenToEvent(github.repo("octo", "hello"), "issues", async () => undefined);
  await listenToEvent(github.repo("octo", "hello"), "issues", async (e) => ({ status: 200, body: "#" + e.payload.issue.number, at: new Date(0) }));
  await listenToEvent(github.repo("octo", "hello"), "issues", async () => "third");
};
`;
    const { services } = servicesWithLog();
    expect(await executeFlow(request(bundle, eventFactory(), services))).toEqual({
      handled: 3,
      result: { status: 200, body: '#42', at: '1970-01-01T00:00:00.000Z' },
    });
  });

  it('has no result when no handler returned anything', async () => {
    const { services } = servicesWithLog();
    expect(await executeFlow(request(THREE_HANDLERS, eventFactory(), services))).not.toHaveProperty('result');
  });

  it('fails with INVALID_ARGUMENT when the return value cannot be written as JSON', async () => {
    const bundle = `"use strict";
const { listenToEvent, github } = require("@openflows/sdk");
exports.run = async function run() {
  await listenToEvent(github.repo("octo", "hello"), "issues", async () => { const a = {}; a.self = a; return a; });
};
`;
    const { services } = servicesWithLog();
    await expect(executeFlow(request(bundle, eventFactory(), services))).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });

  it('fails with LIMIT_OUTPUT when the return value is larger than a bridge message', async () => {
    const bundle = `"use strict";
const { listenToEvent, github } = require("@openflows/sdk");
exports.run = async function run() {
  await listenToEvent(github.repo("octo", "hello"), "issues", async () => "x".repeat(4 * 1024 * 1024 + 1));
};
`;
    const { services } = servicesWithLog();
    await expect(executeFlow(request(bundle, eventFactory(), services))).rejects.toMatchObject({ code: 'LIMIT_OUTPUT' });
  });

  it('waits for handlers the flow forgot to await', async () => {
    const bundle = `"use strict";
      const { listenToEvent, github, log } = require("@openflows/sdk");
      exports.run = async () => {
        listenToEvent(github.repo("octo", "hello"), "issues", async () => {
          await new Promise((resolve) => setTimeout(resolve, 100));
          log.info("slow handler done");
        });
      };`;
    const { services, messages } = servicesWithLog();
    const result = await executeFlow(request(bundle, eventFactory(), services));
    expect(result).toEqual({ handled: 1 });
    expect(messages).toEqual(['info: slow handler done']);
  });

  it("rejects with the handler's error", async () => {
    const bundle = `"use strict";
      const { listenToEvent, github } = require("@openflows/sdk");
      exports.run = async () => {
        await listenToEvent(github.repo("octo", "hello"), "issues", async () => { throw new Error("LLM said no"); });
      };`;
    const { services } = servicesWithLog();
    await expect(executeFlow(request(bundle, eventFactory(), services))).rejects.toThrow('LLM said no');
  });

  it('rejects with the error of a handler the flow did not await', async () => {
    const bundle = `"use strict";
      const { listenToEvent, github } = require("@openflows/sdk");
      exports.run = async () => {
        listenToEvent(github.repo("octo", "hello"), "issues", async () => {
          await new Promise((resolve) => setTimeout(resolve, 20));
          throw new Error("late failure");
        });
      };`;
    const { services } = servicesWithLog();
    await expect(executeFlow(request(bundle, eventFactory(), services))).rejects.toThrow('late failure');
  });

  it('rejects when run() itself throws', async () => {
    const bundle = `exports.run = async () => { throw new Error("broken run"); };`;
    const { services } = servicesWithLog();
    await expect(executeFlow(request(bundle, eventFactory(), services))).rejects.toThrow('broken run');
  });

  it('gives handlers the deploy-time variables and the services', async () => {
    const bundle = `"use strict";
      const { listenToEvent, github, env, log, chatCompletion } = require("@openflows/sdk");
      exports.run = async () => {
        await listenToEvent(github.repo(env("owner"), "hello"), "issues", async () => {
          const answer = await chatCompletion(env("key"), "issue#42", "hi");
          log.info(answer.choice);
        });
      };`;
    const { services, messages } = servicesWithLog();
    const calls: unknown[][] = [];
    services.chatCompletion = async (...args) => {
      calls.push(args);
      return { choice: 'hello back', usage: { promptTokens: 1, completionTokens: 2 }, restarted: true };
    };
    await executeFlow(request(bundle, eventFactory(), services, { owner: 'octo', key: 'openai' }));
    expect(calls).toEqual([['openai', 'issue#42', 'hi', undefined]]);
    expect(messages).toEqual(['info: hello back']);
  });
});
