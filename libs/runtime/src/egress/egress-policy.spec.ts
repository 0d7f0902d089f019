import { EgressPolicy, EgressRefusedError, addressRefusal } from './egress-policy';

describe('addressRefusal', () => {
  it.each([
    ['127.0.0.1', 'a loopback address'],
    ['127.255.0.9', 'a loopback address'],
    ['10.1.2.3', 'a private address'],
    ['172.16.0.1', 'a private address'],
    ['172.31.255.255', 'a private address'],
    ['192.168.1.1', 'a private address'],
    ['169.254.1.1', 'a link-local address'],
    ['169.254.169.254', 'a cloud metadata address'],
    ['100.64.0.1', 'a carrier-grade NAT address'],
    ['100.127.255.255', 'a carrier-grade NAT address'],
    ['224.0.0.1', 'a multicast address'],
    ['239.255.255.250', 'a multicast address'],
    ['0.0.0.0', 'an unspecified address'],
    ['255.255.255.255', 'the broadcast address'],
    ['192.0.2.1', 'a reserved address'],
    ['198.18.0.1', 'a reserved address'],
    ['240.0.0.1', 'a reserved address'],
    ['::1', 'a loopback address'],
    ['::', 'an unspecified address'],
    ['fe80::1', 'a link-local address'],
    ['fe80::1%eth0', 'a link-local address'],
    ['fec0::1', 'a site-local address'],
    ['fc00::1', 'a private (unique local) address'],
    ['fd12:3456::1', 'a private (unique local) address'],
    ['fd00:ec2::254', 'a cloud metadata address'],
    ['FD00:0EC2:0:0::254', 'a cloud metadata address'],
    ['ff02::1', 'a multicast address'],
    ['2001:db8::1', 'a reserved address'],
    ['3fff::1', 'a reserved address'],
    ['100::1', 'a discard-only address'],
    ['2001:2::1', 'a benchmarking address'],
    ['2001:10::1', 'an ORCHID identifier'],
    ['5f00::1', 'a segment routing (SRv6) address'],
    ['2001:0:4136:e378::1', 'a Teredo tunnel address'],
    ['::ffff:127.0.0.1', 'a loopback address (127.0.0.1 in IPv6 form)'],
    ['::ffff:7f00:1', 'a loopback address (127.0.0.1 in IPv6 form)'],
    ['::ffff:10.0.0.1', 'a private address (10.0.0.1 in IPv6 form)'],
    ['::ffff:169.254.169.254', 'a cloud metadata address (169.254.169.254 in IPv6 form)'],
    ['::ffff:0:192.168.0.1', 'a private address (192.168.0.1 in IPv6 form)'],
    ['64:ff9b::a00:1', 'a private address (10.0.0.1 in IPv6 form)'],
    ['64:ff9b::10.0.0.1', 'a private address (10.0.0.1 in IPv6 form)'],
    ['2002:c0a8:101::1', 'a private address (192.168.1.1 in IPv6 form)'],
    ['example.com', 'not an IP address'],
  ])('refuses %s as %s', (address, reason) => {
    expect(addressRefusal(address)).toBe(reason);
  });

  it.each([
    '8.8.8.8',
    '1.1.1.1',
    '172.32.0.1',
    '100.128.0.1',
    '169.255.0.1',
    '192.31.196.1',
    '192.52.193.1',
    '2606:4700:4700::1111',
    '2001:3::1',
    '2001:4:112::1',
    '::ffff:8.8.8.8',
    '64:ff9b::808:808',
  ])('lets %s through', (address) => {
    expect(addressRefusal(address)).toBeUndefined();
  });
});

describe('EgressPolicy', () => {
  const policy = new EgressPolicy(['127.0.0.1:8080', '[::1]:*', 'git.internal:*', 'no-port']);

  it('matches host:port patterns against the host as written, default ports included', () => {
    expect(policy.allows(new URL('http://127.0.0.1:8080/x'))).toBe(true);
    expect(policy.allows(new URL('http://127.0.0.1:8081/x'))).toBe(false);
    expect(policy.allows(new URL('http://[::1]:9/x'))).toBe(true);
    expect(policy.allows(new URL('http://[0:0::1]/x'))).toBe(true);
    expect(policy.allows(new URL('https://git.internal/x'))).toBe(true);
    expect(policy.allows(new URL('https://GIT.internal./x'))).toBe(true);
    expect(policy.allows(new URL('http://no-port/'))).toBe(false);
    expect(new EgressPolicy(['example.com:443']).allows(new URL('https://example.com/'))).toBe(true);
    expect(new EgressPolicy(['example.com:443']).allows(new URL('http://example.com/'))).toBe(false);
  });

  it('refuses IP literals and metadata names before any lookup, naming the host and why', () => {
    const refusal = (url: string) => {
      try {
        policy.checkHost(new URL(url));
        return undefined;
      } catch (error) {
        expect(error).toBeInstanceOf(EgressRefusedError);
        return (error as Error).message;
      }
    };
    expect(refusal('http://10.0.0.1/')).toBe('10.0.0.1 is a private address');
    expect(refusal('http://169.254.169.254/latest/meta-data/')).toBe('169.254.169.254 is a cloud metadata address');
    expect(refusal('http://[fd00:ec2::254]/')).toBe('fd00:ec2::254 is a cloud metadata address');
    expect(refusal('http://[::ffff:10.0.0.1]/')).toBe('::ffff:a00:1 is a private address (10.0.0.1 in IPv6 form)');
    expect(refusal('http://metadata.google.internal/computeMetadata/v1/')).toBe('metadata.google.internal is a cloud metadata address');
    expect(refusal('http://METADATA.google.internal./')).toBe('metadata.google.internal is a cloud metadata address');
    // WHATWG URL parsing turns the decimal form into a dotted one before the policy sees it.
    expect(refusal('http://2130706433/')).toBe('127.0.0.1 is a loopback address');
    expect(refusal('http://127.0.0.1:8081/')).toBe('127.0.0.1 is a loopback address');
    expect(refusal('http://127.0.0.1:8080/')).toBeUndefined();
    expect(refusal('http://example.com/')).toBeUndefined();
  });

  it('resolves a name and refuses it for what it resolves to, unless the name is allowed', async () => {
    await expect(policy.resolve(new URL('http://localhost:3000/'))).rejects.toThrow(
      /^localhost resolves to (127\.0\.0\.1|::1), a loopback address$/,
    );
    await expect(new EgressPolicy(['localhost:3000']).resolve(new URL('http://localhost:3000/'))).resolves.toEqual(
      expect.arrayContaining([expect.stringMatching(/^(127\.0\.0\.1|::1)$/)]),
    );
    await expect(policy.resolve(new URL('http://127.0.0.1:8080/'))).resolves.toEqual(['127.0.0.1']);
    await expect(policy.resolve(new URL('http://[::ffff:127.0.0.1]:8080/'))).rejects.toBeInstanceOf(EgressRefusedError);
  });
});
