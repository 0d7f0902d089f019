import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { useTestRedis } from '@openflows/test-support/redis';
import { loadConfig } from '@openflows/common';
import { executeFlow, type RunServices } from '@openflows/runtime';
import type { FlowLogger } from '@openflows/sdk';
import { unboundHost } from '@openflows/sdk/sdk';
import { flowSecrets } from './flow-secrets';
import { LlmKeyChecker } from './llm-key-checker';
import { SecretsService } from './secrets.service';

const LISTEN_KEY = 'ln-0123456789abcdef-secret';
const OWNER = randomUUID();
const OTHER_OWNER = randomUUID();

/**
 * A flow answering each event by trying `getSecret(payload.name)`: it logs the value's length (never
 * the value) or the error's code, and reads the secret twice to show the platform logs it once.
 */
const READER = `"use strict";
const { listenToEvent, getSecret, log } = require("@openflows/sdk");
exports.run = async function run() {
  await listenToEvent({ provider: "test", target: "t" }, ["read"], async (event) => {
    try {
      const value = await getSecret(event.payload.name);
      await getSecret(event.payload.name);
      log.info("read " + value.length + " characters");
    } catch (error) {
      log.info("failed " + error.code + " " + error.name);
    }
  });
};
`;

describe('flowSecrets: getSecret through the isolate (real Redis)', () => {
  const testRedis = useTestRedis('flow-secrets');
  let dataDir: string;
  let secrets: SecretsService;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'openflows-flow-secrets-'));
    // Nothing listens at that base URL: storing the LLM key checks it and records a failure at once, which does not matter here.
    const config = loadConfig({ DATA_DIR: dataDir, REDIS_PREFIX: testRedis.prefix, OPENAI_BASE_URL: 'http://127.0.0.1:9/v1' });
    secrets = new SecretsService(config, testRedis.redis, new LlmKeyChecker(config));
    await secrets.put(OWNER, 'listen_notes', { value: LISTEN_KEY });
    await secrets.put(OWNER, 'openai', { value: 'sk-proj-abcdefghijklmnop1234', model: 'gpt-4o-mini' });
    await secrets.put(OTHER_OWNER, 'theirs', { value: 'their-own-secret-value' });
  });

  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  /** Runs READER for `name` as a run of OWNER's flow `podcasts`; the flow's lines and the platform's. */
  async function readAs(name: string) {
    const flowLines: string[] = [];
    const platformLines: string[] = [];
    const logger = (lines: string[]): FlowLogger => ({
      debug: (m) => lines.push(m),
      info: (m) => lines.push(m),
      warn: (m) => lines.push(m),
      error: (m) => lines.push(m),
    });
    const { chatCompletion, store } = unboundHost();
    const services: RunServices = {
      chatCompletion,
      store,
      log: logger(flowLines),
      getSecret: flowSecrets(secrets, OWNER, 'podcasts', logger(platformLines)),
      providers: {},
    };
    const event = { id: randomUUID(), provider: 'test', name: 'read', deliveryId: randomUUID(), target: 't', payload: { name } };
    await executeFlow({ flowName: 'podcasts', bundle: READER, env: {}, event, services });
    return { flowLines, platformLines };
  }

  it("hands a generic secret's value to the flow, logs its name once and records the use", async () => {
    const { flowLines, platformLines } = await readAs('listen_notes');
    expect(flowLines).toEqual([`read ${LISTEN_KEY.length} characters`]);
    expect(platformLines).toEqual(['getSecret("listen_notes"): the flow read this secret']);
    const summary = (await secrets.list(OWNER)).find((s) => s.name === 'listen_notes');
    expect(summary).toMatchObject({ lastUsedBy: 'podcasts' });
    expect(Date.now() - Date.parse(summary!.lastUsedAt!)).toBeLessThan(60_000);
  });

  it('refuses an LLM key with SECRET_REFUSED, without recording a use', async () => {
    const { flowLines, platformLines } = await readAs('openai');
    expect(flowLines).toEqual(['failed SECRET_REFUSED SdkError']);
    expect(platformLines).toEqual(['getSecret("openai") refused: it is an LLM key']);
    expect((await secrets.list(OWNER)).find((s) => s.name === 'openai')?.lastUsedBy).toBeUndefined();
  });

  it.each([
    ['an unknown name', 'nothing_here'],
    ["another owner's secret", 'theirs'],
    ['a malformed name', 'no spaces allowed'],
  ])('answers %s with SECRET_NOT_FOUND', async (_what, name) => {
    const { flowLines, platformLines } = await readAs(name);
    expect(flowLines).toEqual(['failed SECRET_NOT_FOUND SdkError']);
    expect(platformLines).toEqual([]);
    expect((await secrets.list(OTHER_OWNER))[0].lastUsedBy).toBeUndefined();
  });

  it('fails with NOT_IN_RUNTIME where the host offers no secrets', async () => {
    const lines: string[] = [];
    const { chatCompletion, store } = unboundHost();
    const log: FlowLogger = { debug: () => undefined, info: (m) => lines.push(m), warn: () => undefined, error: () => undefined };
    const event = { id: randomUUID(), provider: 'test', name: 'read', deliveryId: randomUUID(), target: 't', payload: { name: 'x' } };
    await executeFlow({ flowName: 'f', bundle: READER, env: {}, event, services: { chatCompletion, store, log, providers: {} } });
    expect(lines).toEqual(['failed NOT_IN_RUNTIME SdkError']);
  });
});
