import { createSdk, unboundHost } from '@openflows/sdk/sdk';
import type { FlowLogger, LogFields } from '@openflows/sdk';
import { FlowDeployError } from './errors';
import { loadFlowModule } from './sandbox';

interface LogLine {
  level: keyof FlowLogger;
  message: string;
  fields?: LogFields;
}

/** A FlowLogger that keeps its lines, and an SDK bound to it (everything else unbound). */
function loggingSdk() {
  const lines: LogLine[] = [];
  const line = (level: keyof FlowLogger) => (message: string, fields?: LogFields) => lines.push({ level, message, fields });
  const log: FlowLogger = { debug: line('debug'), info: line('info'), warn: line('warn'), error: line('error') };
  return { sdk: createSdk({ ...unboundHost(), log }), lines };
}

/** A CommonJS bundle as esbuild writes it, whose `run()` returns what `body` returns. */
const flowRunning = (body: string, topLevel = '') => `"use strict";\n${topLevel}\nexports.run = async function run() {\n${body}\n};\n`;

/** The FlowDeployError `work` throws. */
function deployErrorOf(work: () => unknown): FlowDeployError {
  try {
    work();
  } catch (error) {
    expect(error).toBeInstanceOf(FlowDeployError);
    return error as FlowDeployError;
  }
  throw new Error('expected a FlowDeployError');
}

describe('loadFlowModule', () => {
  it('loads a module and calls its exported run()', async () => {
    const flow = loadFlowModule(flowRunning('return 40 + 2;'), loggingSdk().sdk, 'answer.js');
    await expect(flow.run()).resolves.toBe(42);
  });

  it('answers require("@openflows/sdk") with the SDK it was given', async () => {
    const { sdk, lines } = loggingSdk();
    const code = flowRunning('require("@openflows/sdk").log.warn("from the flow", { n: 1 });');
    await loadFlowModule(code, sdk, 'sdk.js').run();
    expect(lines).toEqual([{ level: 'warn', message: 'from the flow', fields: { n: 1 } }]);
  });

  it('gives the flow no process, no fetch and no host globals', async () => {
    const code = flowRunning(
      'return [typeof process, typeof fetch, typeof Buffer, typeof global, typeof globalThis.process, typeof setTimeout, typeof URL];',
    );
    const seen = await loadFlowModule(code, loggingSdk().sdk, 'globals.js').run();
    expect(seen).toEqual(['undefined', 'undefined', 'undefined', 'undefined', 'undefined', 'function', 'function']);
  });

  it("cannot reach process through its own realm's Function constructor", async () => {
    const code = flowRunning('return (function () {}).constructor("return typeof process")();');
    await expect(loadFlowModule(code, loggingSdk().sdk, 'escape.js').run()).resolves.toBe('undefined');
  });

  it.each(['fs', 'node:child_process', 'ioredis', '@openflows/common'])('refuses require("%s") of a host module', async (id) => {
    const code = flowRunning(`try { require(${JSON.stringify(id)}); return "loaded"; } catch (e) { return e.code + ": " + e.message; }`);
    const outcome = await loadFlowModule(code, loggingSdk().sdk, 'require.js').run();
    expect(outcome).toBe(
      `INVALID_ARGUMENT: flows can import only @openflows/sdk and the packages bundled with them; "${id}" is not available`,
    );
  });

  it('sends console output to the flow log, objects as JSON', async () => {
    const { sdk, lines } = loggingSdk();
    const code = flowRunning(
      'console.log("hello", { a: 1 }, [2]); console.info("info"); console.debug("debug"); console.warn("warn"); console.error("error", 3);',
      'console.log("loading");',
    );
    const flow = loadFlowModule(code, sdk, 'console.js');
    await flow.run();
    expect(lines.map(({ level, message }) => [level, message])).toEqual([
      ['info', 'loading'],
      ['info', 'hello {"a":1} [2]'],
      ['info', 'info'],
      ['debug', 'debug'],
      ['warn', 'warn'],
      ['error', 'error 3'],
    ]);
  });

  it('has working timers', async () => {
    const code = flowRunning('return await new Promise((resolve) => setTimeout(() => resolve("later"), 10));');
    await expect(loadFlowModule(code, loggingSdk().sdk, 'timers.js').run()).resolves.toBe('later');
  });

  it('keeps module state apart between loads', async () => {
    const code = flowRunning('globalThis.count = (globalThis.count ?? 0) + 1; return globalThis.count;');
    const { sdk } = loggingSdk();
    const first = loadFlowModule(code, sdk, 'state.js');
    expect(await first.run()).toBe(1);
    expect(await first.run()).toBe(2);
    expect(await loadFlowModule(code, sdk, 'state.js').run()).toBe(1);
    expect((globalThis as Record<string, unknown>).count).toBeUndefined();
  });

  it('stops a top-level infinite loop after the load timeout', () => {
    const started = Date.now();
    const error = deployErrorOf(() => loadFlowModule(flowRunning('', 'while (true) {}'), loggingSdk().sdk, 'loop.js'));
    expect(error.code).toBe('FLOW_INVALID');
    expect(error.message).toMatch(/^flow failed to load: .*timed out/);
    expect(Date.now() - started).toBeLessThan(4000);
  });

  it('reports a module that throws while loading as FLOW_INVALID', () => {
    const error = deployErrorOf(() => loadFlowModule(flowRunning('', 'throw new Error("bad top level");'), loggingSdk().sdk, 'throws.js'));
    expect(error.code).toBe('FLOW_INVALID');
    expect(error.message).toBe('flow failed to load: bad top level');
  });

  it('reports a module that does not parse as FLOW_INVALID', () => {
    expect(deployErrorOf(() => loadFlowModule('exports.run = (', loggingSdk().sdk, 'syntax.js')).code).toBe('FLOW_INVALID');
  });

  it.each([
    ['nothing', ''],
    ['a run that is not a function', 'exports.run = 42;'],
  ])('refuses a module exporting %s', (_what, code) => {
    const error = deployErrorOf(() => loadFlowModule(code, loggingSdk().sdk, 'empty.js'));
    expect(error.code).toBe('FLOW_INVALID');
    expect(error.message).toBe('flow module must export an async function run()');
  });
});
