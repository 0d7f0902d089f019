import { Inject, Injectable } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { APP_CONFIG, CodedError, REDIS, decrypt, encrypt, loadMasterKey, redisKey, type AppConfig } from '@openflows/common';
import { LlmKeyChecker, type LlmKeyCheck } from './llm-key-checker';

/** Secret names: what flows reference with `chatCompletion(keyName, …)`. */
export const SECRET_NAME = /^[A-Za-z0-9_.-]{1,64}$/;

/** `llm`: a key for `chatCompletion` (optionally with base URL and model); `generic`: any other secret. */
export type SecretKind = 'llm' | 'generic';

/** What a caller may store under a name. Only `value` is secret; the rest is shown in listings. */
export interface SecretInput {
  value: string;
  /** Default: `llm` when `baseURL` or `model` is given, else `generic`. */
  kind?: SecretKind;
  /** For an LLM key: the OpenAI-compatible base URL, e.g. `http://localhost:11434/v1`. */
  baseURL?: string;
  /** For an LLM key: the model used when a flow names none. */
  model?: string;
  /** For an LLM key: the model's context window in tokens (self-hosted models our table does not know). */
  contextWindow?: number;
  /** For an LLM key: USD per million prompt / completion tokens, instead of the platform's price table. */
  promptPrice?: number;
  completionPrice?: number;
}

/** The LLM settings of a key beside its value, shown in listings (numbers, unset when not given). */
const LLM_NUMBERS = ['contextWindow', 'promptPrice', 'completionPrice'] as const;
type LlmNumbers = Partial<Record<(typeof LLM_NUMBERS)[number], number>>;

/** The settings {@link SecretsService.update} changes: a value replaces, `null` removes. */
export type SecretSettings = { [K in 'baseURL' | 'model' | (typeof LLM_NUMBERS)[number]]?: SecretInput[K] | null };
const SETTINGS = ['baseURL', 'model', ...LLM_NUMBERS] as const;

/** A secret as listings show it: never the value, only its last 4 characters. */
export interface SecretSummary extends LlmNumbers {
  name: string;
  kind: SecretKind;
  last4: string;
  baseURL?: string;
  model?: string;
  /** ISO 8601. */
  createdAt: string;
  updatedAt: string;
  /** When a run last revealed it (ISO 8601); absent while none has. */
  lastUsedAt?: string;
  /** The name of the flow whose run last revealed it. */
  lastUsedBy?: string;
  /**
   * LLM keys: the last check with the provider (see LlmKeyChecker), made when the key was stored or
   * asked for again; absent for other secrets and for keys stored before checks existed.
   */
  check?: LlmKeyCheck;
}

/** Who reveals a secret, recorded as its last use. */
export interface SecretUse {
  /** The flow's name (shown as `lastUsedBy`). */
  usedBy: string;
  /** Record the use only when the secret is of this kind (a flow's `getSecret` of an LLM key is refused, not a use). */
  kind?: SecretKind;
}

/** A decrypted secret, for host services only (never returned by an API, never logged). */
export interface SecretValue extends LlmNumbers {
  kind: SecretKind;
  value: string;
  baseURL?: string;
  model?: string;
}

/** Thrown for a malformed name; the API answers it 400 `SECRET_NAME_INVALID`. */
export class InvalidSecretNameError extends CodedError {
  constructor(name: string) {
    super('SECRET_NAME_INVALID', `secret name ${JSON.stringify(name)} must match ${SECRET_NAME}`);
  }
}

/**
 * Named secrets in Redis, per owner: one hash per name at `<prefix>:secret:<ownerId>:<name>` and a set
 * of the owner's names at `<prefix>:secrets:<ownerId>`. The value is sealed with AES-256-GCM under the
 * master key, bound to its owner and name (see docs/architecture.md, storage): two users may both have `openai`,
 * and a sealed value moved to another owner's key does not open. An LLM key is checked with its
 * provider when it is stored (LlmKeyChecker), and the outcome kept with it.
 */
@Injectable()
export class SecretsService {
  private readonly key: Buffer;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(REDIS) private readonly redis: Redis,
    private readonly checker: LlmKeyChecker,
  ) {
    this.key = loadMasterKey(config);
  }

  /**
   * Creates or replaces an owner's secret; an LLM key is checked with its provider first (up to 10 s)
   * and stored whatever the outcome, which its summary's `check` gives. @throws InvalidSecretNameError
   */
  async put(ownerId: string, name: string, input: SecretInput): Promise<SecretSummary> {
    const key = this.keyOf(ownerId, name);
    const now = new Date().toISOString();
    const createdAt = (await this.redis.hget(key, 'createdAt')) ?? now;
    const fields: Record<string, string> = {
      sealed: encrypt(this.key, input.value, boundTo(ownerId, name)),
      // Short values would be given away by their last characters.
      last4: input.value.length >= 12 ? input.value.slice(-4) : '',
      kind: input.kind ?? (input.baseURL || input.model || LLM_NUMBERS.some((n) => input[n] !== undefined) ? 'llm' : 'generic'),
      createdAt,
      updatedAt: now,
    };
    if (input.baseURL) fields.baseURL = input.baseURL;
    if (input.model) fields.model = input.model;
    for (const name of LLM_NUMBERS) if (input[name] !== undefined) fields[name] = String(input[name]);
    if (fields.kind === 'llm') Object.assign(fields, checkFields(await this.checker.check(input)));
    // The last use belongs to the name, not the value: a replaced key keeps it.
    const [lastUsedAt, lastUsedBy] = await this.redis.hmget(key, 'lastUsedAt', 'lastUsedBy');
    if (lastUsedAt && lastUsedBy) Object.assign(fields, { lastUsedAt, lastUsedBy });
    await this.redis.multi().del(key).hset(key, fields).sadd(this.indexKey(ownerId), name).exec();
    return this.summary(name, fields);
  }

  /**
   * Checks an owner's LLM key with its provider again and keeps the outcome.
   * @returns its summary, or undefined when the owner has no LLM key of that name.
   * @throws InvalidSecretNameError; CryptoError on a wrong master key.
   */
  async check(ownerId: string, name: string): Promise<SecretSummary | undefined> {
    const key = this.keyOf(ownerId, name);
    const fields = await this.redis.hgetall(key);
    if (!fields.sealed || kindOf(fields) !== 'llm') return undefined;
    const value = decrypt(this.key, fields.sealed, boundTo(ownerId, name));
    const checked = checkFields(await this.checker.check({ value, baseURL: fields.baseURL, model: fields.model }));
    const { checkError: _previous, ...kept } = fields;
    const args = Object.entries(checked).flat();
    // Recorded only while the same value is stored: a key replaced meanwhile came with its own check.
    if ((await this.redis.eval(RECORD_CHECK, 1, key, fields.sealed, ...args)) !== 1) return undefined;
    return this.summary(name, { ...kept, ...checked });
  }

  /**
   * Changes the settings of an owner's LLM key beside its value: a given field replaces the stored
   * one, `null` removes it, an absent one stays; a changed base URL or model is checked again with
   * the provider. @returns the summary, or undefined when the owner has no secret of that name.
   * @throws InvalidSecretNameError
   */
  async update(ownerId: string, name: string, settings: SecretSettings): Promise<SecretSummary | undefined> {
    const key = this.keyOf(ownerId, name);
    if (!(await this.redis.hexists(key, 'sealed'))) return undefined;
    const set: Record<string, string> = { updatedAt: new Date().toISOString() };
    const removed: string[] = [];
    for (const field of SETTINGS) {
      const value = settings[field];
      if (value === null) removed.push(field);
      else if (value !== undefined) set[field] = String(value);
    }
    const multi = this.redis.multi().hset(key, set);
    if (removed.length > 0) multi.hdel(key, ...removed);
    await multi.exec();
    const summary = this.summary(name, await this.redis.hgetall(key));
    const recheck = summary.kind === 'llm' && (settings.baseURL !== undefined || settings.model !== undefined);
    return (recheck ? await this.check(ownerId, name) : undefined) ?? summary;
  }

  /** An owner's secrets' summaries, sorted by name. */
  async list(ownerId: string): Promise<SecretSummary[]> {
    const names = (await this.redis.smembers(this.indexKey(ownerId))).sort();
    const rows = await Promise.all(names.map(async (name) => [name, await this.redis.hgetall(this.keyOf(ownerId, name))] as const));
    return rows.filter(([, fields]) => fields.sealed).map(([name, fields]) => this.summary(name, fields));
  }

  /** An owner's secret's summary (never its value), or undefined when the owner has none of that name. */
  async summaryOf(ownerId: string, name: string): Promise<SecretSummary | undefined> {
    if (!SECRET_NAME.test(name)) return undefined;
    const fields = await this.redis.hgetall(this.keyOf(ownerId, name));
    return fields.sealed ? this.summary(name, fields) : undefined;
  }

  /** Removes an owner's secret; false when the owner had none of that name. @throws InvalidSecretNameError */
  async delete(ownerId: string, name: string): Promise<boolean> {
    const key = this.keyOf(ownerId, name);
    const [[, removed]] = (await this.redis.multi().del(key).srem(this.indexKey(ownerId), name).exec()) as [[null, number]];
    return removed === 1;
  }

  /**
   * An owner's decrypted secret, or undefined when the owner has none of that name. With `use`, records
   * the use on the secret (`lastUsedAt` now, `lastUsedBy` = the flow's name) for listings, unless
   * `use.kind` names another kind than the secret's.
   * @throws CryptoError on a wrong key.
   */
  async reveal(ownerId: string, name: string, use?: SecretUse): Promise<SecretValue | undefined> {
    if (!SECRET_NAME.test(name)) return undefined;
    const key = this.keyOf(ownerId, name);
    const fields = await this.redis.hgetall(key);
    if (!fields.sealed) return undefined;
    const kind = kindOf(fields);
    if (use && (use.kind === undefined || use.kind === kind)) {
      await this.redis.hset(key, { lastUsedAt: new Date().toISOString(), lastUsedBy: use.usedBy });
    }
    return {
      kind,
      value: decrypt(this.key, fields.sealed, boundTo(ownerId, name)),
      baseURL: fields.baseURL,
      model: fields.model,
      ...llmNumbers(fields),
    };
  }

  private summary(name: string, fields: Record<string, string>): SecretSummary {
    const summary: SecretSummary = {
      name,
      kind: kindOf(fields),
      last4: fields.last4,
      baseURL: fields.baseURL,
      model: fields.model,
      ...llmNumbers(fields),
      createdAt: fields.createdAt,
      updatedAt: fields.updatedAt,
    };
    if (fields.lastUsedAt) Object.assign(summary, { lastUsedAt: fields.lastUsedAt, lastUsedBy: fields.lastUsedBy });
    if (summary.kind === 'llm' && (fields.checkStatus === 'ok' || fields.checkStatus === 'failed')) {
      summary.check = {
        status: fields.checkStatus,
        checkedAt: fields.checkedAt,
        ...(fields.checkError ? { error: fields.checkError } : {}),
      };
    }
    return summary;
  }

  private keyOf(ownerId: string, name: string): string {
    if (!SECRET_NAME.test(name)) throw new InvalidSecretNameError(name);
    return redisKey(this.config, 'secret', ownerId, name);
  }

  private indexKey(ownerId: string): string {
    return redisKey(this.config, 'secrets', ownerId);
  }
}

/** Replaces a secret's check fields (ARGV[2..]: field, value, …) if its sealed value is still ARGV[1]. */
const RECORD_CHECK = `if redis.call('hget', KEYS[1], 'sealed') ~= ARGV[1] then return 0 end
redis.call('hdel', KEYS[1], 'checkError')
redis.call('hset', KEYS[1], unpack(ARGV, 2))
return 1`;

/** A check as the secret's hash keeps it: `checkStatus`, `checkedAt` and, when it failed, `checkError`. */
function checkFields(check: LlmKeyCheck): Record<string, string> {
  return { checkStatus: check.status, checkedAt: check.checkedAt, ...(check.error ? { checkError: check.error } : {}) };
}

/** A stored secret's kind; secrets stored before kinds existed get the default they would get now. */
function kindOf(fields: Record<string, string>): SecretKind {
  if (fields.kind === 'llm' || fields.kind === 'generic') return fields.kind;
  return fields.baseURL || fields.model ? 'llm' : 'generic';
}

/** The numbers an LLM key carries (context window, prices), as stored: absent ones stay absent. */
function llmNumbers(fields: Record<string, string>): LlmNumbers {
  return Object.fromEntries(LLM_NUMBERS.filter((name) => fields[name] !== undefined).map((name) => [name, Number(fields[name])]));
}

/** The AES-GCM associated data of a sealed secret: its owner and name. */
const boundTo = (ownerId: string, name: string) => `${ownerId}:${name}`;
