import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { startOpenAiStandIn, type OpenAiStandIn } from '@openflows/test-support/openai-stand-in';
import { useTestRedis } from '@openflows/test-support/redis';
import { CryptoError, loadConfig } from '@openflows/common';
import { LlmKeyChecker } from './llm-key-checker';
import { InvalidSecretNameError, SecretsService } from './secrets.service';

const OPENAI_KEY = 'sk-proj-abcdefghijklmnop1234';
/** Two owners (user ids). */
const A = randomUUID();
const B = randomUUID();
/** Nothing listens there: a key with this base URL fails its check at once. */
const NOWHERE = 'http://127.0.0.1:9/v1';

describe('SecretsService (real Redis)', () => {
  const testRedis = useTestRedis('secrets');
  const prefix = testRedis.prefix;
  const dataDirs: string[] = [];
  let redis: Redis;
  let secrets: SecretsService;
  /** The platform's default LLM provider (OPENAI_BASE_URL): accepts any key. */
  let llm: OpenAiStandIn;

  /** A service over the shared Redis and prefix, with the master key of `dataDir` (a new one by default). */
  function serviceWith(dataDir = newDataDir()): SecretsService {
    const config = loadConfig({ DATA_DIR: dataDir, REDIS_PREFIX: prefix, OPENAI_BASE_URL: llm.url });
    return new SecretsService(config, redis, new LlmKeyChecker(config));
  }

  function newDataDir(): string {
    const dir = mkdtempSync(join(tmpdir(), 'openflows-secrets-'));
    dataDirs.push(dir);
    return dir;
  }

  /** Every string stored under this file's prefix, field names and values included. */
  async function everythingInRedis(): Promise<string> {
    const keys = await redis.keys(`${prefix}:*`);
    const parts = await Promise.all(
      keys.map(async (key) => {
        const type = await redis.type(key);
        if (type === 'hash') return JSON.stringify(await redis.hgetall(key));
        if (type === 'set') return JSON.stringify(await redis.smembers(key));
        return String(await redis.get(key));
      }),
    );
    return parts.join('\n');
  }

  async function invalidNameErrorOf(work: () => Promise<unknown>): Promise<InvalidSecretNameError> {
    const error = await work().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(InvalidSecretNameError);
    return error as InvalidSecretNameError;
  }

  beforeAll(async () => {
    redis = testRedis.redis;
    llm = await startOpenAiStandIn();
    secrets = serviceWith();
  });

  afterAll(async () => {
    await llm?.close();
    for (const dir of dataDirs) rmSync(dir, { recursive: true, force: true });
  });

  it('generates the master key into DATA_DIR when none is configured', () => {
    const dataDir = newDataDir();
    serviceWith(dataDir);
    expect(existsSync(join(dataDir, 'master.key'))).toBe(true);
  });

  it('stores a secret and reveals it with its options', async () => {
    const summary = await secrets.put(A, 'openai', { value: OPENAI_KEY, baseURL: NOWHERE, model: 'llama3' });

    expect(summary).toEqual({
      name: 'openai',
      kind: 'llm',
      last4: '1234',
      baseURL: NOWHERE,
      model: 'llama3',
      createdAt: expect.any(String),
      updatedAt: summary.createdAt,
      check: { status: 'failed', checkedAt: expect.any(String), error: expect.stringMatching(/^no answer from the provider/) },
    });
    expect(await secrets.reveal(A, 'openai')).toEqual({
      kind: 'llm',
      value: OPENAI_KEY,
      baseURL: NOWHERE,
      model: 'llama3',
    });
  });

  it('keeps the value sealed in Redis: no key, field or value contains it', async () => {
    const value = `sk-${randomUUID()}`;
    await secrets.put(A, 'sealed-check', { value });
    const raw = await everythingInRedis();
    expect(raw).toContain('sealed-check');
    expect(raw).not.toContain(value);
    expect(raw).not.toContain(value.slice(0, 20));
    expect(await redis.hget(`${prefix}:secret:${A}:sealed-check`, 'sealed')).toMatch(/^v1\./);
  });

  it('shows the last 4 characters only for values of 12 characters or more', async () => {
    expect((await secrets.put(A, 'len-12', { value: 'abcdefgh1234' })).last4).toBe('1234');
    expect((await secrets.put(A, 'len-11', { value: 'abcdefg1234' })).last4).toBe('');
    expect((await secrets.put(A, 'len-3', { value: 'abc' })).last4).toBe('');
  });

  it('lists summaries sorted by name, never values', async () => {
    await secrets.put(A, 'list-b', { value: 'value-of-list-b-xyz9' });
    await secrets.put(A, 'list-a', { value: 'value-of-list-a-wxy8', model: 'gpt-4o-mini' });

    const listed = (await secrets.list(A)).filter((s) => s.name.startsWith('list-'));

    expect(listed.map((s) => s.name)).toEqual(['list-a', 'list-b']);
    expect(listed[0]).toMatchObject({ name: 'list-a', last4: 'wxy8', model: 'gpt-4o-mini' });
    expect(JSON.stringify(listed)).not.toContain('value-of-list');
    const all = await secrets.list(A);
    expect(all.map((s) => s.name)).toEqual([...all.map((s) => s.name)].sort());
  });

  it('replaces a secret: new value, options not carried over, createdAt kept', async () => {
    const first = await secrets.put(A, 'replace-me', { value: 'first-value-0001', baseURL: NOWHERE, model: 'old' });
    await new Promise((resolve) => setTimeout(resolve, 5));
    const second = await secrets.put(A, 'replace-me', { value: 'second-value-0002' });

    expect(second.createdAt).toBe(first.createdAt);
    expect(second.updatedAt > first.updatedAt).toBe(true);
    expect(await secrets.reveal(A, 'replace-me')).toEqual({
      kind: 'generic',
      value: 'second-value-0002',
      baseURL: undefined,
      model: undefined,
    });
    expect((await secrets.list(A)).filter((s) => s.name === 'replace-me')).toHaveLength(1);
  });

  it('deletes a secret once', async () => {
    await secrets.put(A, 'delete-me', { value: 'to-be-deleted-1' });
    expect(await secrets.delete(A, 'delete-me')).toBe(true);
    expect(await secrets.delete(A, 'delete-me')).toBe(false);
    expect(await secrets.reveal(A, 'delete-me')).toBeUndefined();
    expect((await secrets.list(A)).map((s) => s.name)).not.toContain('delete-me');
    expect(await redis.exists(`${prefix}:secret:${A}:delete-me`)).toBe(0);
  });

  it("gives one secret's summary without its value; nothing for an unknown or malformed name", async () => {
    await secrets.put('alice', 'chat-password', { value: 'a password of some length' });
    const summary = await secrets.summaryOf('alice', 'chat-password');
    expect(summary).toEqual((await secrets.list('alice')).find((s) => s.name === 'chat-password'));
    expect(summary).toMatchObject({ name: 'chat-password', kind: 'generic', last4: 'ngth' });
    expect(JSON.stringify(summary)).not.toContain('a password');
    expect(await secrets.summaryOf('bob', 'chat-password')).toBeUndefined();
    expect(await secrets.summaryOf('alice', 'no/such name')).toBeUndefined();
  });

  it('reveals nothing for an unknown name', async () => {
    expect(await secrets.reveal(A, 'never-stored')).toBeUndefined();
  });

  it.each(['bad name', 'with:colon', 'slash/name', '', 'x'.repeat(65), 'ünïcode'])('refuses the name %j', async (name) => {
    expect((await invalidNameErrorOf(() => secrets.put(A, name, { value: 'v' }))).code).toBe('SECRET_NAME_INVALID');
    expect((await invalidNameErrorOf(() => secrets.delete(A, name))).code).toBe('SECRET_NAME_INVALID');
    expect(await secrets.reveal(A, name)).toBeUndefined();
  });

  it('accepts letters, digits, _, . and - up to 64 characters', async () => {
    const name = `A-z_0.9-${'n'.repeat(56)}`;
    await secrets.put(A, name, { value: 'fine-value-here' });
    expect((await secrets.reveal(A, name))?.value).toBe('fine-value-here');
  });

  it('refuses a value copied in Redis under another name', async () => {
    await secrets.put(A, 'original', { value: OPENAI_KEY });
    const sealed = (await redis.hget(`${prefix}:secret:${A}:original`, 'sealed'))!;
    await secrets.put(A, 'impostor', { value: 'placeholder-value' });
    await redis.hset(`${prefix}:secret:${A}:impostor`, 'sealed', sealed);

    const error = await secrets.reveal(A, 'impostor').then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(CryptoError);
    expect((error as CryptoError).code).toBe('CIPHERTEXT_INVALID');
    expect((await secrets.reveal(A, 'original'))?.value).toBe(OPENAI_KEY);
  });

  it('reveals with the same master key after a restart, and refuses another key', async () => {
    const dataDir = newDataDir();
    await serviceWith(dataDir).put(A, 'restart', { value: 'survives-restarts-42' });

    expect((await serviceWith(dataDir).reveal(A, 'restart'))?.value).toBe('survives-restarts-42');
    await expect(serviceWith().reveal(A, 'restart')).rejects.toMatchObject({ code: 'CIPHERTEXT_INVALID' });
  });

  it("keeps owners' secrets apart: the same name for two owners, listed, replaced and deleted separately", async () => {
    await secrets.put(A, 'shared-name', { value: 'value-of-owner-a-aaaa' });
    await secrets.put(B, 'shared-name', { value: 'value-of-owner-b-bbbb' });

    expect((await secrets.reveal(A, 'shared-name'))?.value).toBe('value-of-owner-a-aaaa');
    expect((await secrets.reveal(B, 'shared-name'))?.value).toBe('value-of-owner-b-bbbb');
    expect((await secrets.list(B)).map((s) => s.name)).toEqual(['shared-name']);
    expect(await secrets.delete(B, 'original')).toBe(false);
    expect(await secrets.delete(B, 'shared-name')).toBe(true);
    expect((await secrets.reveal(A, 'shared-name'))?.value).toBe('value-of-owner-a-aaaa');
  });

  it("refuses one owner's sealed value copied under another owner's key of the same name", async () => {
    await secrets.put(A, 'moved', { value: OPENAI_KEY });
    await secrets.put(B, 'moved', { value: 'placeholder-value' });
    await redis.hset(`${prefix}:secret:${B}:moved`, 'sealed', (await redis.hget(`${prefix}:secret:${A}:moved`, 'sealed'))!);

    await expect(secrets.reveal(B, 'moved')).rejects.toMatchObject({ code: 'CIPHERTEXT_INVALID' });
  });
  it('gives a kind: llm when a base URL or model is given, else generic, unless one is named', async () => {
    expect((await secrets.put(A, 'kind-url', { value: 'v-0123456789ab', baseURL: NOWHERE })).kind).toBe('llm');
    expect((await secrets.put(A, 'kind-model', { value: 'v-0123456789ab', model: 'gpt-4o-mini' })).kind).toBe('llm');
    expect((await secrets.put(A, 'kind-plain', { value: 'v-0123456789ab' })).kind).toBe('generic');
    expect((await secrets.put(A, 'kind-named', { value: 'v-0123456789ab', kind: 'llm' })).kind).toBe('llm');
    expect((await secrets.put(A, 'kind-generic', { value: 'v-0123456789ab', model: 'm', kind: 'generic' })).kind).toBe('generic');
    const listed = Object.fromEntries((await secrets.list(A)).map((s) => [s.name, s.kind]));
    expect(listed).toMatchObject({
      'kind-url': 'llm',
      'kind-model': 'llm',
      'kind-plain': 'generic',
      'kind-named': 'llm',
      'kind-generic': 'generic',
    });
  });

  it('checks an LLM key with GET /models at its base URL when storing it; green only when the provider accepts it', async () => {
    const strict = await startOpenAiStandIn({ apiKey: 'sk-the-right-key-0001' });
    try {
      const good = await secrets.put(A, 'checked', { value: 'sk-the-right-key-0001', baseURL: strict.url });
      expect(good.check).toEqual({ status: 'ok', checkedAt: expect.any(String) });
      expect(strict.requests.map((r) => [r.method, r.path, r.headers.authorization])).toEqual([
        ['GET', '/v1/models', 'Bearer sk-the-right-key-0001'],
      ]);

      const bad = await secrets.put(A, 'checked', { value: 'sk-a-wrong-key-00002', baseURL: strict.url });
      expect(bad.check).toEqual({ status: 'failed', checkedAt: expect.any(String), error: '401 Incorrect API key provided.' });
      expect((await secrets.list(A)).find((s) => s.name === 'checked')?.check).toEqual(bad.check);
    } finally {
      await strict.close();
    }
    // No base URL: the platform's OPENAI_BASE_URL; a generic secret is never sent anywhere.
    const before = llm.requests.length;
    expect((await secrets.put(A, 'default-url', { value: 'sk-default-0123456', kind: 'llm' })).check?.status).toBe('ok');
    expect(llm.requests.slice(before).map((r) => r.path)).toEqual(['/v1/models']);
    expect(await secrets.put(A, 'not-llm', { value: 'a-password-0123' })).not.toHaveProperty('check');
    expect(llm.requests).toHaveLength(before + 1);
  });

  it('falls back to a one-token completion where /models is missing, and checks again on request', async () => {
    const bare = await startOpenAiStandIn({ models: false });
    try {
      bare.failNext(503);
      const failed = await secrets.put(A, 'bare', { value: 'sk-bare-0123456789', baseURL: bare.url, model: 'llama3' });
      expect(failed.check).toMatchObject({ status: 'failed', error: '503 stand-in failure 503' });
      const again = await secrets.check(A, 'bare');
      expect(again?.check).toEqual({ status: 'ok', checkedAt: expect.any(String) });
      expect((await secrets.list(A)).find((s) => s.name === 'bare')?.check).toEqual(again?.check);
      const completions = bare.requests.filter((r) => r.path === '/v1/chat/completions');
      expect(completions.at(-1)?.body).toMatchObject({ model: 'llama3', max_tokens: 1 });
      expect(bare.requests.filter((r) => r.path === '/v1/models')).toHaveLength(2);
    } finally {
      await bare.close();
    }
    expect(await secrets.check(A, 'not-llm')).toBeUndefined();
    expect(await secrets.check(A, 'never-stored')).toBeUndefined();
  });

  it('lists a secret stored before kinds existed with the default kind', async () => {
    await secrets.put(A, 'old-style', { value: 'v-0123456789ab', model: 'gpt-4o-mini' });
    await redis.hdel(`${prefix}:secret:${A}:old-style`, 'kind');
    expect((await secrets.list(A)).find((s) => s.name === 'old-style')?.kind).toBe('llm');
  });

  it('records the last use by a flow when revealed for it, and keeps it when the value is replaced', async () => {
    await secrets.put(A, 'used', { value: 'v-0123456789ab' });
    await secrets.reveal(A, 'used');
    expect((await secrets.list(A)).find((s) => s.name === 'used')).not.toHaveProperty('lastUsedAt');

    const before = new Date().toISOString();
    await secrets.reveal(A, 'used', { usedBy: 'github-chat' });
    const used = (await secrets.list(A)).find((s) => s.name === 'used')!;
    expect(used.lastUsedBy).toBe('github-chat');
    expect(used.lastUsedAt! >= before).toBe(true);

    await secrets.put(A, 'used', { value: 'v-new-0123456789' });
    expect((await secrets.list(A)).find((s) => s.name === 'used')).toMatchObject({
      lastUsedBy: 'github-chat',
      lastUsedAt: used.lastUsedAt,
    });
    expect(await secrets.reveal(A, 'never-there', { usedBy: 'x' })).toBeUndefined();
    expect(await redis.exists(`${prefix}:secret:${A}:never-there`)).toBe(0);
  });

  it("keeps an LLM key's context window and prices beside its value, and changes them without the value", async () => {
    const summary = await secrets.put(A, 'local-llm', { value: OPENAI_KEY, baseURL: NOWHERE, contextWindow: 32768 });
    expect(summary).toMatchObject({ kind: 'llm', contextWindow: 32768, check: { status: 'failed' } });
    expect(summary.promptPrice).toBeUndefined();
    expect(await secrets.put(A, 'priced', { value: OPENAI_KEY, promptPrice: 0.5 })).toMatchObject({ kind: 'llm', promptPrice: 0.5 });

    const changed = await secrets.update(A, 'local-llm', { contextWindow: 65536, promptPrice: 0.2, completionPrice: 0.8, baseURL: null });
    expect(changed).toMatchObject({ kind: 'llm', contextWindow: 65536, promptPrice: 0.2, completionPrice: 0.8 });
    expect(changed?.baseURL).toBeUndefined();
    // A changed base URL is checked again: the platform's default provider accepts the key.
    expect(changed?.check).toEqual({ status: 'ok', checkedAt: expect.any(String) });
    expect(await secrets.reveal(A, 'local-llm')).toEqual({
      kind: 'llm',
      value: OPENAI_KEY,
      contextWindow: 65536,
      promptPrice: 0.2,
      completionPrice: 0.8,
    });
    expect((await secrets.list(A)).find((s) => s.name === 'local-llm')).toMatchObject({ contextWindow: 65536, completionPrice: 0.8 });

    expect(await secrets.update(A, 'missing', { contextWindow: 1024 })).toBeUndefined();
    expect(await secrets.update(B, 'local-llm', { contextWindow: 1024 })).toBeUndefined();
    expect(await redis.exists(`${prefix}:secret:${A}:missing`)).toBe(0);
  });
});
