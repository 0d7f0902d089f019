/**
 * A local stand-in for WeChat's side of an Official Account, on 127.0.0.1 at a random port: the API
 * (point `WECHAT_API_URL` at `url`) and the pushes WeChat makes to the account's server URL. Built from
 * WeChat's documentation (Access Overview, Receiving standard messages / event pushes, Passive user
 * reply, the encryption Technical Plan, Get access token, Customer service messages), speaking its wire
 * format and checking what it receives:
 * - `GET /cgi-bin/token?grant_type=client_credential&appid&secret` → `{ access_token, expires_in }`;
 *   each grant leaves the account's earlier tokens five more minutes, as WeChat does;
 * - `POST /cgi-bin/message/custom/send?access_token` with `{ touser, msgtype: 'text', text: { content } }`
 *   to a follower who wrote to the account, recorded in `messages`;
 * - `GET /cgi-bin/user/info?access_token&openid`;
 * - errors as WeChat answers them: HTTP 200 with `{ errcode, errmsg }` (40002, 40013, 40125, 41001,
 *   40001, 42001, 40003, 44004, 47001).
 *
 * Pushes: {@link WechatStandIn.configureServer} saves the server URL as the console does (after its
 * `GET` check); {@link WechatStandIn.deliver} posts a message built from the docs' samples
 * (test/fixtures/wechat) with `signature`, `timestamp`, `nonce`, `openid` and, in safe mode,
 * `encrypt_type=aes` and `msg_signature` over the AES-sealed body; waits 5 s for the answer and tries
 * three times in all, as WeChat does; and reads the answer as WeChat would (`success`, or a passive
 * reply that must be addressed right and, in safe mode, encrypted and signed). The crypto here is its
 * own (node:crypto, from the Technical Plan), not the platform's library.
 *
 * ```ts
 * const wechat = await startWechatStandIn();
 * wechat.addAccount({ appId: 'wx0123456789abcdef', appSecret: 's', token: 't0ken', encodingAesKey, originalId: 'gh_0123456789ab' });
 * await wechat.configureServer('wx0123456789abcdef', webhookUrl);
 * const answer = await wechat.deliver(wechat.text('wx0123456789abcdef', 'oFollower', 'hi'), { safe: true });
 * expect(answer.reply?.Content).toBe('echo: hi');
 * ```
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { XMLParser } from 'fast-xml-parser';

const FIXTURES = join(__dirname, '..', 'fixtures', 'wechat');
/** WeChat waits this long for the server's answer (ms), then drops the connection and tries again. */
export const WECHAT_WAIT_MS = 5000;
/** Tries of one push in all. */
const TRIES = 3;
/** An earlier token stays valid this long after a new grant (ms). */
const REPLACED_TOKEN_MS = 5 * 60 * 1000;

export interface StandInAccount {
  appId: string;
  appSecret: string;
  /** The Token of the server configuration. */
  token: string;
  /** Set: the account may push in safe mode. */
  encodingAesKey?: string;
  /** The account's original ID (`gh_…`), its `ToUserName` in pushes. */
  originalId: string;
}

/** A push to deliver: the XML as WeChat sends it in plaintext mode, the account and the follower. */
export interface StandInPush {
  appId: string;
  openId: string;
  xml: string;
}

/** A customer-service message the stand-in accepted. */
export interface CustomMessage {
  appId: string;
  touser: string;
  msgtype: string;
  content: string;
}

/** Every API request, in arrival order: path, query (secrets included), parsed JSON body, the errcode answered (0: ok). */
export interface RecordedCall {
  method: string;
  path: string;
  query: Record<string, string>;
  body: unknown;
  errcode: number;
}

/** A passive reply as WeChat reads it (decrypted in safe mode). */
export interface PassiveReply {
  ToUserName: string;
  FromUserName: string;
  CreateTime: string;
  MsgType: string;
  Content: string;
}

/** How the server answered a push: the last try's status and body, and the reply WeChat would show. */
export interface PushAnswer {
  status: number;
  body: string;
  contentType: string | null;
  /** How many tries it took (1 when the first was answered within 5 s with 2xx). */
  tries: number;
  /** How long the last try took (ms). */
  elapsedMs: number;
  /** The passive reply; undefined for `success` or an empty body. */
  reply?: PassiveReply;
}

export interface DeliverOptions {
  /** Safe mode: the body sealed with the EncodingAESKey, `encrypt_type=aes` and `msg_signature`. */
  safe?: boolean;
  /** Sign with this Token instead of the account's (a forgery). */
  token?: string;
  /** Changes the body after signing (a forgery in safe mode). */
  alter?: (body: string) => string;
  /** Tries in all (default 3, as WeChat). */
  tries?: number;
}

export interface WechatStandIn {
  url: string;
  calls: RecordedCall[];
  messages: CustomMessage[];
  /** Access tokens granted, per AppID. */
  grants: Map<string, number>;
  addAccount(account: StandInAccount): void;
  /**
   * Saves `serverUrl` as the account's server URL the way the console does: only once its `GET` check
   * (signature, timestamp, nonce, echostr) is answered with the echostr. @returns that answer.
   */
  configureServer(
    appId: string,
    serverUrl: string,
    options?: { token?: string },
  ): Promise<{ status: number; body: string; saved: boolean }>;
  /** A text message from `openId` (the docs' sample with the account, follower, time and MsgId filled in). */
  text(appId: string, openId: string, content: string, msgId?: string): StandInPush;
  /** A voice message with speech recognition on. */
  voice(appId: string, openId: string, recognition: string, msgId?: string): StandInPush;
  /** A subscribe event. */
  subscribe(appId: string, openId: string): StandInPush;
  /** Pushes `push` to the account's server URL as WeChat does; see {@link DeliverOptions}. @throws when the answer is a reply WeChat would refuse. */
  deliver(push: StandInPush, options?: DeliverOptions): Promise<PushAnswer>;
  /** Makes `openId` a follower who wrote to the account ({@link deliver} does too): customer-service messages may go to them. */
  follow(appId: string, openId: string): void;
  /** Makes every token of the account expired (42001), as after two hours. */
  expireTokens(appId: string): void;
  close(): Promise<void>;
}

export interface WechatStandInOptions {
  /** `expires_in` of granted tokens (s); 7200 as WeChat. */
  tokenLifetimeSeconds?: number;
}

interface IssuedToken {
  appId: string;
  expiresAt: number;
}

const parser = new XMLParser({ parseTagValue: false, ignoreDeclaration: true });

/** SHA-1 hex of the parts sorted and concatenated: WeChat's `signature` and `msg_signature`. */
export function wechatSignature(...parts: string[]): string {
  return createHash('sha1')
    .update([...parts].sort().join(''))
    .digest('hex');
}

/** AES-256-CBC of `random(16) + length(4) + xml + appId`, PKCS#7 to 32 bytes, key = base64(EncodingAESKey + "="), IV = its first 16 bytes. */
export function sealForWechat(encodingAesKey: string, appId: string, xml: string): string {
  const key = Buffer.from(`${encodingAesKey}=`, 'base64');
  const message = Buffer.from(xml, 'utf8');
  const length = Buffer.alloc(4);
  length.writeUInt32BE(message.length, 0);
  const plain = Buffer.concat([randomBytes(16), length, message, Buffer.from(appId, 'utf8')]);
  const pad = 32 - (plain.length % 32);
  const cipher = createCipheriv('aes-256-cbc', key, key.subarray(0, 16)).setAutoPadding(false);
  return Buffer.concat([cipher.update(Buffer.concat([plain, Buffer.alloc(pad, pad)])), cipher.final()]).toString('base64');
}

/** The inverse of {@link sealForWechat}. @throws when it does not decrypt or its padding is wrong. */
export function openFromWechat(encodingAesKey: string, sealed: string): { xml: string; appId: string } {
  const key = Buffer.from(`${encodingAesKey}=`, 'base64');
  const decipher = createDecipheriv('aes-256-cbc', key, key.subarray(0, 16)).setAutoPadding(false);
  const padded = Buffer.concat([decipher.update(Buffer.from(sealed, 'base64')), decipher.final()]);
  const pad = padded[padded.length - 1];
  if (pad < 1 || pad > 32 || !padded.subarray(padded.length - pad).every((byte) => byte === pad)) throw new Error('bad PKCS#7 padding');
  const plain = padded.subarray(0, padded.length - pad);
  const length = plain.readUInt32BE(16);
  return { xml: plain.subarray(20, 20 + length).toString('utf8'), appId: plain.subarray(20 + length).toString('utf8') };
}

/** A fixture with elements replaced: `<Name><![CDATA[…]]></Name>` or `<Name>…</Name>`. */
function fromFixture(file: string, fields: Record<string, string>): string {
  let xml = readFileSync(join(FIXTURES, file), 'utf8');
  for (const [name, value] of Object.entries(fields)) {
    const element = new RegExp(`<${name}>(<!\\[CDATA\\[)?[^<]*?(\\]\\]>)?</${name}>`);
    if (!element.test(xml)) throw new Error(`fixture ${file} has no <${name}>`);
    xml = xml.replace(element, (_all, cdata?: string) =>
      cdata ? `<${name}><![CDATA[${value}]]></${name}>` : `<${name}>${value}</${name}>`,
    );
  }
  return xml;
}

const nowSeconds = () => String(Math.floor(Date.now() / 1000));
const nonce = () => String(randomBytes(4).readUInt32BE(0));
const rid = () => `${randomBytes(4).toString('hex')}-${randomBytes(4).toString('hex')}`;

/** Starts the stand-in; see {@link WechatStandIn}. */
export async function startWechatStandIn(options: WechatStandInOptions = {}): Promise<WechatStandIn> {
  const lifetime = options.tokenLifetimeSeconds ?? 7200;
  const accounts = new Map<string, StandInAccount>();
  const servers = new Map<string, string>();
  const followers = new Map<string, Set<string>>();
  const tokens = new Map<string, IssuedToken>();
  const grants = new Map<string, number>();
  const calls: RecordedCall[] = [];
  const messages: CustomMessage[] = [];
  // Beyond 2^53: a MsgId read as a number would lose its last digits.
  let nextMsgId = 7_390_000_000_000_000_001n;

  const fail = (errcode: number, errmsg: string) => ({ errcode, errmsg: `${errmsg} rid: ${rid()}` });

  /** The account whose valid token `token` is, or WeChat's error. */
  const authorise = (token: string | undefined): { appId: string } | { errcode: number; errmsg: string } => {
    if (!token) return fail(41001, 'access_token missing');
    const issued = tokens.get(token);
    if (!issued) return fail(40001, 'invalid credential, access_token is invalid or not latest');
    if (issued.expiresAt < Date.now()) return fail(42001, 'access_token expired');
    return { appId: issued.appId };
  };

  const grant = (query: Record<string, string>) => {
    if (query.grant_type !== 'client_credential') return fail(40002, 'invalid grant_type');
    const account = accounts.get(query.appid ?? '');
    if (!account) return fail(40013, 'invalid appid');
    if (query.secret !== account.appSecret) return fail(40125, 'invalid appsecret');
    const now = Date.now();
    for (const issued of tokens.values()) {
      if (issued.appId === account.appId) issued.expiresAt = Math.min(issued.expiresAt, now + REPLACED_TOKEN_MS);
    }
    const token = `ACCESS_TOKEN-${randomBytes(24).toString('base64url')}`;
    tokens.set(token, { appId: account.appId, expiresAt: now + lifetime * 1000 });
    grants.set(account.appId, (grants.get(account.appId) ?? 0) + 1);
    return { access_token: token, expires_in: lifetime };
  };

  const customSend = (appId: string, body: unknown) => {
    const message = body as { touser?: unknown; msgtype?: unknown; text?: { content?: unknown } } | undefined;
    if (!message || typeof message !== 'object' || typeof message.touser !== 'string' || typeof message.msgtype !== 'string') {
      return fail(47001, 'data format error');
    }
    if (!followers.get(appId)?.has(message.touser)) return fail(40003, 'invalid openid');
    if (message.msgtype !== 'text' || typeof message.text?.content !== 'string') return fail(47001, 'data format error');
    if (message.text.content === '') return fail(44004, 'empty content');
    messages.push({ appId, touser: message.touser, msgtype: message.msgtype, content: message.text.content });
    return { errcode: 0, errmsg: 'ok' };
  };

  const userInfo = (appId: string, query: Record<string, string>) => {
    const openid = query.openid ?? '';
    if (!followers.get(appId)?.has(openid)) return fail(40003, 'invalid openid');
    return { subscribe: 1, openid, language: 'zh_CN', subscribe_time: 1_700_000_000, remark: '', groupid: 0, tagid_list: [] };
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://stand-in');
    const query = Object.fromEntries(url.searchParams);
    const raw = await readBody(req);
    let body: unknown;
    try {
      body = raw === '' ? undefined : JSON.parse(raw);
    } catch {
      body = undefined;
    }
    const call: RecordedCall = { method: req.method ?? '', path: url.pathname, query, body, errcode: 0 };
    calls.push(call);
    let answer: Record<string, unknown>;
    if (req.method === 'GET' && url.pathname === '/cgi-bin/token') {
      answer = grant(query);
    } else {
      const who = authorise(query.access_token);
      if ('errcode' in who) answer = who;
      else if (req.method === 'POST' && url.pathname === '/cgi-bin/message/custom/send')
        answer = raw === '' ? fail(44002, 'empty post data') : customSend(who.appId, body);
      else if (req.method === 'GET' && url.pathname === '/cgi-bin/user/info') answer = userInfo(who.appId, query);
      else {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
        return;
      }
    }
    call.errcode = typeof answer.errcode === 'number' ? answer.errcode : 0;
    res.writeHead(200, { 'content-type': 'application/json; encoding=utf-8' }).end(JSON.stringify(answer));
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => res.writeHead(500).end(String(error)));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  const account = (appId: string): StandInAccount => {
    const found = accounts.get(appId);
    if (!found) throw new Error(`no stand-in account ${appId}`);
    return found;
  };

  const push = (appId: string, openId: string, file: string, fields: Record<string, string>): StandInPush => {
    const xml = fromFixture(file, { ToUserName: account(appId).originalId, FromUserName: openId, CreateTime: nowSeconds(), ...fields });
    return { appId, openId, xml };
  };

  /** One try: the signed request, answered within {@link WECHAT_WAIT_MS} or given up. */
  const post = async (target: StandInAccount, serverUrl: string, push: StandInPush, options: DeliverOptions) => {
    const timestamp = nowSeconds();
    const once = nonce();
    const token = options.token ?? target.token;
    const url = new URL(serverUrl);
    url.searchParams.set('signature', wechatSignature(token, timestamp, once));
    url.searchParams.set('timestamp', timestamp);
    url.searchParams.set('nonce', once);
    url.searchParams.set('openid', push.openId);
    let body = push.xml;
    if (options.safe) {
      if (!target.encodingAesKey) throw new Error(`stand-in account ${target.appId} has no EncodingAESKey for safe mode`);
      const encrypted = sealForWechat(target.encodingAesKey, target.appId, push.xml);
      url.searchParams.set('encrypt_type', 'aes');
      url.searchParams.set('msg_signature', wechatSignature(token, timestamp, once, encrypted));
      body = `<xml>\n<ToUserName><![CDATA[${target.originalId}]]></ToUserName>\n<Encrypt><![CDATA[${encrypted}]]></Encrypt>\n</xml>`;
    }
    if (options.alter) body = options.alter(body);
    const started = Date.now();
    try {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'text/xml' },
        body,
        signal: AbortSignal.timeout(WECHAT_WAIT_MS),
      });
      return { status: res.status, body: await res.text(), contentType: res.headers.get('content-type'), elapsedMs: Date.now() - started };
    } catch {
      return { status: 0, body: '', contentType: null, elapsedMs: Date.now() - started };
    }
  };

  /** The passive reply in an answer, as WeChat reads it. @throws when WeChat would refuse it. */
  const readReply = (target: StandInAccount, push: StandInPush, body: string, safe: boolean): PassiveReply | undefined => {
    if (body === '' || body === 'success') return undefined;
    const refuse = (why: string): never => {
      throw new Error(`WeChat would refuse this passive reply (${why}) and show "该公众号暂时无法提供服务": ${body}`);
    };
    const outer = (parser.parse(body) as { xml?: Record<string, string> }).xml ?? refuse('no <xml> root');
    let inner = outer;
    if (safe) {
      const { Encrypt, MsgSignature, TimeStamp, Nonce } = outer;
      if (!Encrypt || !MsgSignature || !TimeStamp || !Nonce) refuse('safe mode needs Encrypt, MsgSignature, TimeStamp and Nonce');
      if (wechatSignature(target.token, TimeStamp, Nonce, Encrypt) !== MsgSignature) refuse('MsgSignature does not match');
      const opened = openFromWechat(target.encodingAesKey!, Encrypt);
      if (opened.appId !== target.appId) refuse(`sealed for ${opened.appId}`);
      inner = (parser.parse(opened.xml) as { xml?: Record<string, string> }).xml ?? refuse('no <xml> root inside Encrypt');
    } else if (outer.Encrypt) {
      refuse('an encrypted reply to a plaintext push');
    }
    if (inner.ToUserName !== push.openId) refuse(`ToUserName must be the follower ${push.openId}`);
    if (inner.FromUserName !== target.originalId) refuse(`FromUserName must be the account ${target.originalId}`);
    if (!/^\d+$/.test(inner.CreateTime ?? '')) refuse('CreateTime must be seconds');
    if (inner.MsgType !== 'text' || !inner.Content) refuse('a text reply needs MsgType text and Content');
    return {
      ToUserName: inner.ToUserName,
      FromUserName: inner.FromUserName,
      CreateTime: inner.CreateTime,
      MsgType: inner.MsgType,
      Content: inner.Content,
    };
  };

  return {
    url: `http://127.0.0.1:${port}`,
    calls,
    messages,
    grants,
    addAccount: (added) => {
      accounts.set(added.appId, added);
      followers.set(added.appId, new Set());
    },
    configureServer: async (appId, serverUrl, options = {}) => {
      const target = account(appId);
      const timestamp = nowSeconds();
      const once = nonce();
      const echostr = randomBytes(9).readBigUInt64BE(0).toString();
      const url = new URL(serverUrl);
      url.searchParams.set('signature', wechatSignature(options.token ?? target.token, timestamp, once));
      url.searchParams.set('echostr', echostr);
      url.searchParams.set('timestamp', timestamp);
      url.searchParams.set('nonce', once);
      const res = await fetch(url, { signal: AbortSignal.timeout(WECHAT_WAIT_MS) });
      const body = await res.text();
      const saved = res.status === 200 && body === echostr;
      if (saved) servers.set(appId, serverUrl);
      return { status: res.status, body, saved };
    },
    text: (appId, openId, content, msgId = String(nextMsgId++)) => push(appId, openId, 'text.xml', { Content: content, MsgId: msgId }),
    voice: (appId, openId, recognition, msgId = String(nextMsgId++)) =>
      push(appId, openId, 'voice-recognition.xml', { Recognition: recognition, MsgId: msgId }),
    subscribe: (appId, openId) => push(appId, openId, 'subscribe.xml', {}),
    deliver: async (message, options = {}) => {
      const target = account(message.appId);
      const serverUrl = servers.get(target.appId);
      if (!serverUrl) throw new Error(`stand-in account ${target.appId} has no server URL: configureServer first`);
      followers.get(target.appId)!.add(message.openId);
      const tries = options.tries ?? TRIES;
      let answer = await post(target, serverUrl, message, options);
      let tried = 1;
      // WeChat tries again when it got no answer within 5 s (or an error).
      while ((answer.status === 0 || answer.status >= 500) && tried < tries) {
        answer = await post(target, serverUrl, message, options);
        tried += 1;
      }
      const reply = answer.status === 200 ? readReply(target, message, answer.body, options.safe === true) : undefined;
      return { ...answer, tries: tried, ...(reply ? { reply } : {}) };
    },
    follow: (appId, openId) => {
      account(appId);
      followers.get(appId)!.add(openId);
    },
    expireTokens: (appId) => {
      for (const issued of tokens.values()) if (issued.appId === appId) issued.expiresAt = 0;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
