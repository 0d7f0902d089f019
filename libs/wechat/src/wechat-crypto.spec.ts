import { randomBytes } from 'node:crypto';
import { openFromWechat, sealForWechat, wechatSignature } from '@openflows/test-support/wechat-stand-in';
import { decryptMessage, encryptedReplyFields, isEncodingAesKey, signatureMatches, signatureOf } from './wechat-crypto';

/** A key as the console generates them: 43 letters and digits. */
function encodingAesKey(): string {
  for (;;) {
    const key = randomBytes(32).toString('base64').slice(0, 43);
    if (/^[A-Za-z0-9]{43}$/.test(key)) return key;
  }
}

const APP_ID = 'wx0123456789abcdef';
const KEY = encodingAesKey();

describe('signatures (checked against the stand-in’s own SHA-1 of the sorted strings)', () => {
  it('signs token, timestamp and nonce as the URL check and plaintext pushes do', () => {
    expect(signatureOf('t0ken', '1714112445', '415670741')).toBe(wechatSignature('t0ken', '1714112445', '415670741'));
  });

  it('adds the Encrypt field for msg_signature', () => {
    expect(signatureOf('t0ken', '1714112445', '415670741', 'c2VhbGVk')).toBe(
      wechatSignature('t0ken', '1714112445', '415670741', 'c2VhbGVk'),
    );
    expect(signatureOf('t0ken', '1714112445', '415670741', 'c2VhbGVk')).not.toBe(signatureOf('t0ken', '1714112445', '415670741'));
  });

  it('matches only the same digest, whatever its case; a missing or shorter one never', () => {
    const expected = signatureOf('t0ken', '1', '2');
    expect(signatureMatches(expected, expected)).toBe(true);
    expect(signatureMatches(expected, expected.toUpperCase())).toBe(true);
    expect(signatureMatches(expected, signatureOf('t0ken', '1', '3'))).toBe(false);
    expect(signatureMatches(expected, expected.slice(1))).toBe(false);
    expect(signatureMatches(expected, undefined)).toBe(false);
  });
});

describe('safe mode (AES-256-CBC), round trips with the stand-in’s independent implementation', () => {
  const xml = '<xml><ToUserName><![CDATA[gh_0123456789ab]]></ToUserName><Content><![CDATA[你好, safe mode]]></Content></xml>';

  it('opens what WeChat sealed for the account', () => {
    expect(decryptMessage(KEY, APP_ID, sealForWechat(KEY, APP_ID, xml))).toBe(xml);
  });

  it('refuses a push sealed for another AppID, with another key, or not sealed at all', () => {
    const codeOf = (run: () => unknown) => {
      try {
        run();
      } catch (error) {
        return (error as { code?: string }).code;
      }
      return 'no error';
    };
    expect(codeOf(() => decryptMessage(KEY, APP_ID, sealForWechat(KEY, 'wxffffffffffffffff', xml)))).toBe('DECRYPTION_FAILED');
    expect(codeOf(() => decryptMessage(encodingAesKey(), APP_ID, sealForWechat(KEY, APP_ID, xml)))).toBe('DECRYPTION_FAILED');
    expect(codeOf(() => decryptMessage(KEY, APP_ID, 'bm90IHNlYWxlZA=='))).toBe('DECRYPTION_FAILED');
  });

  it('seals a reply WeChat opens, with a MsgSignature over its own timestamp and nonce', () => {
    const reply = encryptedReplyFields(KEY, APP_ID, 't0ken', xml, 1_714_112_445_000);
    expect(reply.TimeStamp).toBe('1714112445');
    expect(reply.MsgSignature).toBe(wechatSignature('t0ken', reply.TimeStamp, reply.Nonce, reply.Encrypt));
    expect(openFromWechat(KEY, reply.Encrypt)).toEqual({ xml, appId: APP_ID });
  });

  it('knows an EncodingAESKey: 43 letters and digits', () => {
    expect(isEncodingAesKey(KEY)).toBe(true);
    expect(isEncodingAesKey(KEY.slice(1))).toBe(false);
    expect(isEncodingAesKey(`${KEY.slice(1)}+`)).toBe(false);
  });
});
