import { randomUUID } from 'node:crypto';
import type { FlowLogger, LogFields } from '@openflows/sdk';
import { unboundHost } from '@openflows/sdk/sdk';
import { FlowDeployError } from '../errors';
import { executeFlow, type RunServices } from '../run';
import { FlowRuntime } from './flow-runtime';
import { FlowLimitError } from './limits';

interface LogLine {
  level: keyof FlowLogger;
  message: string;
  fields?: LogFields;
}

/** Run services whose log keeps its lines (everything else unbound). */
function loggingServices() {
  const lines: LogLine[] = [];
  const line = (level: keyof FlowLogger) => (message: string, fields?: LogFields) => lines.push({ level, message, fields });
  const log: FlowLogger = { debug: line('debug'), info: line('info'), warn: line('warn'), error: line('error') };
  const { chatCompletion, store } = unboundHost();
  const services: RunServices = { chatCompletion, store, log, providers: {} };
  return { services, lines };
}

const event = () => ({
  id: randomUUID(),
  provider: 'github' as const,
  name: 'issues',
  deliveryId: randomUUID(),
  target: 'octo/hello',
  payload: {},
});

/** A CommonJS bundle as esbuild writes it, whose `run()` logs, as JSON, what `body` returns. */
const flowReturning = (body: string, topLevel = '') =>
  `"use strict";\n${topLevel}\nexports.run = async function run() {\nconst result = await (async () => {\n${body}\n})();\nrequire("@openflows/sdk").log.info(JSON.stringify(result));\n};\n`;

/** Runs a flow whose `run()` returns what `body` returns once in a fresh isolate; @returns that value. */
async function outcomeOf(body: string): Promise<unknown> {
  const { services, lines } = loggingServices();
  await executeFlow({ flowName: 'test-flow', bundle: flowReturning(body), env: {}, event: event(), services });
  return JSON.parse(lines.at(-1)?.message ?? 'null');
}

async function failureOf(code: string, runtime?: FlowRuntime): Promise<Error> {
  const { services } = loggingServices();
  const request = { flowName: 'test-flow', bundle: code, env: {}, event: event(), services };
  return (runtime ? runtime.execute(request) : executeFlow(request)).then(
    () => {
      throw new Error('expected the run to fail');
    },
    (error: Error) => error,
  );
}

describe('flows in an isolate', () => {
  it('loads a module and calls its exported run()', async () => {
    expect(await outcomeOf('return 40 + 2;')).toBe(42);
  });

  it('answers require("@openflows/sdk") with the SDK, whose log reaches the run', async () => {
    const { services, lines } = loggingServices();
    const code = '"use strict";\nexports.run = async () => require("@openflows/sdk").log.warn("from the flow", { n: 1 });';
    await executeFlow({ flowName: 'test-flow', bundle: code, env: {}, event: event(), services });
    expect(lines).toEqual([{ level: 'warn', message: 'from the flow', fields: { n: 1 } }]);
  });

  it('gives the flow no process, no require of the host and no Node globals, but web globals', async () => {
    const seen = await outcomeOf(
      'return [typeof process, typeof Buffer, typeof global, typeof globalThis.process, typeof setTimeout, typeof URL, typeof fetch, typeof TextEncoder, typeof structuredClone, typeof atob];',
    );
    expect(seen).toEqual([
      'undefined',
      'undefined',
      'undefined',
      'undefined',
      'function',
      'function',
      'function',
      'function',
      'function',
      'function',
    ]);
  });

  it('reaches no host through the constructors of the SDK, its results and its errors', async () => {
    const seen = await outcomeOf(`
      const sdk = require("@openflows/sdk");
      const probe = (f) => { try { return typeof f.constructor("return typeof process")() === "string" ? f.constructor("return typeof process")() : "?"; } catch (e) { return "threw"; } };
      let caught; try { sdk.env("missing"); } catch (e) { caught = e; }
      return [probe(sdk.listenToEvent), probe(sdk.log.info), probe(console.log), probe(sdk.github.issues.createComment), probe(caught.constructor), probe(Object.getPrototypeOf(sdk).constructor), probe(this === undefined ? function () {} : this.constructor)];
    `);
    expect(seen).toEqual(Array(7).fill('undefined'));
  });

  it("sends a provider's SDK calls to its capabilities and gives the flow its context, as copies", async () => {
    const { services, lines } = loggingServices();
    const calls: unknown[][] = [];
    services.providers = {
      github: {
        context: { repo: { owner: 'octo', repo: 'hello' }, botLogin: 'bot[bot]' },
        capabilities: {
          'github.rest': async (args) => (calls.push(args), { status: 201, data: { id: 7 } }),
        },
      },
    };
    const code = flowReturning(`
      const { github } = require("@openflows/sdk");
      const { data } = await github.issues.createComment({ ...github.context.repo, issue_number: 1, body: "hi" });
      let slack; try { await require("@openflows/sdk").slack.sendMessage("C1", "x"); } catch (e) { slack = e.code; }
      return [data.id, github.context.botLogin, slack];
    `);
    await executeFlow({ flowName: 'test-flow', bundle: code, env: {}, event: event(), services });
    expect(calls).toEqual([['issues', 'createComment', { owner: 'octo', repo: 'hello', issue_number: 1, body: 'hi' }]]);
    expect(JSON.parse(lines.at(-1)?.message ?? 'null')).toEqual([7, 'bot[bot]', 'NOT_IN_RUNTIME']);
  });

  it('refuses require of host modules with a clear message', async () => {
    const outcome = await outcomeOf(
      'try { require("node:child_process"); return "loaded"; } catch (e) { return e.code + ": " + e.message; }',
    );
    expect(outcome).toBe(
      'INVALID_ARGUMENT: flows can import only @openflows/sdk and the packages bundled with them; "node:child_process" is not available',
    );
  });

  it('sends console output to the flow log, objects as JSON', async () => {
    const { services, lines } = loggingServices();
    const code =
      '"use strict";\nconsole.log("loading");\nexports.run = async () => { console.log("hello", { a: 1 }, [2]); console.info("info"); console.debug("debug"); console.warn("warn"); console.error("error", 3); };';
    await executeFlow({ flowName: 'test-flow', bundle: code, env: {}, event: event(), services });
    expect(lines.map(({ level, message }) => [level, message])).toEqual([
      ['info', 'loading'],
      ['info', 'hello {"a":1} [2]'],
      ['info', 'info'],
      ['debug', 'debug'],
      ['warn', 'warn'],
      ['error', 'error 3'],
    ]);
  });

  it('has working timers and URL', async () => {
    expect(
      await outcomeOf('return await new Promise((resolve) => setTimeout(() => resolve(new URL("/a?b=1", "https://x.test").href), 10));'),
    ).toBe('https://x.test/a?b=1');
  });

  it('keeps module state within a warm isolate and apart between deployments', async () => {
    const runtime = new FlowRuntime({ limits: { cpuMs: 2000, wallMs: 10_000, memoryMb: 64 }, isolates: 4 });
    const code = flowReturning('globalThis.count = (globalThis.count ?? 0) + 1; return globalThis.count;');
    const counts: unknown[] = [];
    for (const deploymentId of ['d1', 'd1', 'd2']) {
      const { services, lines } = loggingServices();
      await runtime.execute({
        flowName: 'state',
        bundle: code,
        env: {},
        event: event(),
        services,
        isolate: { ownerId: 'o', flowId: 'f', deploymentId },
      });
      counts.push(JSON.parse(lines[0].message));
    }
    runtime.close();
    expect(counts).toEqual([1, 2, 1]);
    expect((globalThis as Record<string, unknown>).count).toBeUndefined();
  });

  it.each([
    ['a spinning handler', flowReturning('for (;;) {}')],
    ['a spinning top level', flowReturning('', 'for (;;) {}')],
    ['a microtask loop', flowReturning('while (true) await null;')],
  ])('stops %s at the CPU limit with LIMIT_CPU', async (_what, code) => {
    const runtime = new FlowRuntime({ limits: { cpuMs: 300, wallMs: 10_000, memoryMb: 64 }, isolates: 4 });
    const started = Date.now();
    const error = await failureOf(code, runtime);
    runtime.close();
    expect(error).toBeInstanceOf(FlowLimitError);
    expect((error as FlowLimitError).code).toBe('LIMIT_CPU');
    expect(Date.now() - started).toBeLessThan(2300);
  });

  it('ends a log flood with LIMIT_LOG and stops its loop, so the next run of the deployment runs at once', async () => {
    const runtime = new FlowRuntime({ limits: { cpuMs: 1000, wallMs: 10_000, memoryMb: 64 }, isolates: 4 });
    const code = flowReturning('if (require("@openflows/sdk").env("flood", "") === "yes") for (;;) console.log("x"); return "calm";');
    const isolate = { ownerId: 'o', flowId: 'f', deploymentId: 'd' };
    const flood = loggingServices();
    const started = Date.now();
    const error = await runtime
      .execute({ flowName: 'flood', bundle: code, env: { flood: 'yes' }, event: event(), services: flood.services, isolate })
      .catch((e: Error) => e);
    expect((error as FlowLimitError).code).toBe('LIMIT_LOG');
    expect(flood.lines).toHaveLength(10_000);
    const calm = loggingServices();
    await runtime.execute({ flowName: 'flood', bundle: code, env: {}, event: event(), services: calm.services, isolate });
    runtime.close();
    expect(calm.lines.map((line) => line.message)).toEqual(['"calm"']);
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('stops a memory bomb with LIMIT_MEMORY', async () => {
    const runtime = new FlowRuntime({ limits: { cpuMs: 10_000, wallMs: 20_000, memoryMb: 16 }, isolates: 4 });
    const error = await failureOf(flowReturning('const a = []; for (;;) a.push(new Array(10000).fill(a.length));'), runtime);
    runtime.close();
    expect((error as FlowLimitError).code).toBe('LIMIT_MEMORY');
  });

  it('stops a run that never settles at the wall limit with LIMIT_WALL', async () => {
    const runtime = new FlowRuntime({ limits: { cpuMs: 1000, wallMs: 300, memoryMb: 64 }, isolates: 4 });
    const error = await failureOf(flowReturning('await new Promise(() => {});'), runtime);
    runtime.close();
    expect((error as FlowLimitError).code).toBe('LIMIT_WALL');
  });

  it('reports a module that throws while loading as FLOW_INVALID', async () => {
    const error = await failureOf(flowReturning('', 'throw new Error("bad top level");'));
    expect(error).toBeInstanceOf(FlowDeployError);
    expect(error.message).toBe('flow failed to load: bad top level');
  });

  it('reports a module that does not parse as FLOW_INVALID', async () => {
    expect(((await failureOf('exports.run = (')) as FlowDeployError).code).toBe('FLOW_INVALID');
  });

  it.each([
    ['nothing', ''],
    ['a run that is not a function', 'exports.run = 42;'],
  ])('refuses a module exporting %s', async (_what, code) => {
    const error = await failureOf(code);
    expect((error as FlowDeployError).code).toBe('FLOW_INVALID');
    expect(error.message).toBe('flow module must export an async function run()');
  });
});
