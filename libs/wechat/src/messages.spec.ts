import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { XMLParser } from 'fast-xml-parser';
import { appIdOf, asPush, dedupKey, parseXml, textReplyXml, wechatEnvelope } from './messages';

const fixture = (name: string) => readFileSync(join(__dirname, '..', '..', '..', 'test', 'fixtures', 'wechat', name), 'utf8');
const APP_ID = 'wx0123456789abcdef';

function codeOf(run: () => unknown): string | undefined {
  try {
    run();
  } catch (error) {
    return (error as { code?: string }).code;
  }
  return undefined;
}

describe('parsing pushes (the docs’ samples)', () => {
  it('reads a text message, every value a string', () => {
    expect(asPush(parseXml(fixture('text.xml')))).toEqual({
      ToUserName: 'toUser',
      FromUserName: 'fromUser',
      CreateTime: '1348831860',
      MsgType: 'text',
      Content: 'this is a test',
      MsgId: '1234567890123456',
    });
  });

  it('keeps a 64-bit MsgId exactly', () => {
    const xml = fixture('text.xml').replace('1234567890123456', '7390000000000000001');
    expect(parseXml(xml).MsgId).toBe('7390000000000000001');
  });

  it('reads a voice message with its recognition, and a subscribe event', () => {
    expect(parseXml(fixture('voice-recognition.xml'))).toMatchObject({ MsgType: 'voice', Recognition: '腾讯微信团队', Format: 'Format' });
    expect(parseXml(fixture('subscribe.xml'))).toMatchObject({ MsgType: 'event', Event: 'subscribe', FromUserName: 'FromUser' });
  });

  it('refuses what is not XML with an <xml> root (BODY_MALFORMED) and pushes without their fields (DELIVERY_MALFORMED)', () => {
    expect(codeOf(() => parseXml('{"MsgType":"text"}'))).toBe('BODY_MALFORMED');
    expect(codeOf(() => parseXml(''))).toBe('BODY_MALFORMED');
    expect(codeOf(() => parseXml('<xml><a></b></xml>'))).toBe('BODY_MALFORMED');
    expect(codeOf(() => parseXml('<root><MsgType>text</MsgType></root>'))).toBe('BODY_MALFORMED');
    expect(codeOf(() => asPush(parseXml('<xml><MsgType>text</MsgType></xml>')))).toBe('DELIVERY_MALFORMED');
    expect(codeOf(() => asPush(parseXml(fixture('subscribe.xml').replace(/<Event>.*<\/Event>/, ''))))).toBe('DELIVERY_MALFORMED');
  });
});

describe('dedup keys and the envelope', () => {
  const text = asPush(parseXml(fixture('text.xml')));
  const subscribe = asPush(parseXml(fixture('subscribe.xml')));

  it('dedups messages by MsgId, events by FromUserName + CreateTime (and the event), events about a message by its MsgID', () => {
    expect(dedupKey(text)).toBe('1234567890123456');
    expect(dedupKey(subscribe)).toBe('FromUser:123456789:subscribe');
    expect(dedupKey({ ...subscribe, Event: 'unsubscribe' })).not.toBe(dedupKey(subscribe));
    expect(dedupKey({ ...subscribe, Event: 'TEMPLATESENDJOBFINISH', MsgID: '200163836' })).toBe('200163836');
  });

  it('names messages `message` (action: MsgType) and events by their Event, one conversation per follower', () => {
    expect(wechatEnvelope(APP_ID, text)).toEqual({
      provider: 'wechat',
      deliveryId: `${APP_ID}:1234567890123456`,
      name: 'message',
      action: 'text',
      target: `${APP_ID}/fromuser`,
      conversationKey: `${APP_ID}/fromUser`,
      payload: text,
    });
    expect(wechatEnvelope(APP_ID, subscribe)).toMatchObject({
      name: 'subscribe',
      action: undefined,
      deliveryId: `${APP_ID}:FromUser:123456789:subscribe`,
    });
    expect(wechatEnvelope(APP_ID, { ...subscribe, Event: 'SCAN' }).name).toBe('scan');
  });

  it('finds the AppID in a delivery id and in its replay’s', () => {
    expect(appIdOf(`${APP_ID}:1234567890123456`)).toBe(APP_ID);
    expect(appIdOf(`${APP_ID}:FromUser:123456789:subscribe:replay:0a1b2c3d4e5f`)).toBe(APP_ID);
  });
});

describe('passive replies', () => {
  const parser = new XMLParser({ parseTagValue: false });

  it('answers with To and From swapped, the shape of the docs’ sample', () => {
    const push = asPush(parseXml(fixture('text.xml')));
    const reply = parser.parse(textReplyXml(push, '你好', 12_345_678_000)) as { xml: Record<string, string> };
    const sample = parser.parse(fixture('passive-text-reply.xml')) as { xml: Record<string, string> };
    expect(Object.keys(reply.xml)).toEqual(Object.keys(sample.xml));
    expect(reply.xml).toEqual({ ToUserName: 'fromUser', FromUserName: 'toUser', CreateTime: '12345678', MsgType: 'text', Content: '你好' });
  });

  it('keeps any text, `]]>` and markup included', () => {
    const push = asPush(parseXml(fixture('text.xml')));
    const content = 'a ]]> b <xml> & c';
    expect((parser.parse(textReplyXml(push, content)) as { xml: { Content: string } }).xml.Content).toBe(content);
  });
});
