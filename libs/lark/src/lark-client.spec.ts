import { createLarkClient } from './lark-client';

const app = { appId: 'cli_spec', appSecret: 'secret' };

describe('createLarkClient', () => {
  test.each([
    ['feishu', 'https://open.feishu.cn'],
    ['lark', 'https://open.larksuite.com'],
  ] as const)("the %s domain is the client's base URL", (domain, url) => {
    expect(createLarkClient({ lark: {} }, { ...app, domain }).domain).toBe(url);
  });

  test('LARK_API_URL wins over either domain', () => {
    for (const domain of ['feishu', 'lark'] as const) {
      expect(createLarkClient({ lark: { apiUrl: 'http://127.0.0.1:9' } }, { ...app, domain }).domain).toBe('http://127.0.0.1:9');
    }
  });

  test('the client manages the tenant access token unless told not to', () => {
    expect(createLarkClient({ lark: {} }, { ...app, domain: 'feishu' }).disableTokenCache).toBe(false);
    expect(createLarkClient({ lark: {} }, { ...app, domain: 'feishu' }, { manageToken: false }).disableTokenCache).toBe(true);
  });
});
