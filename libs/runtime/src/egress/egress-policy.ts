import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { isIP, type LookupFunction } from 'node:net';
import { IPv4, IPv6, isValid, parse } from 'ipaddr.js';

/**
 * Why a host may not be reached: thrown (or handed to a socket's lookup callback) before any
 * connection to it is opened. `host` is the name or address as the URL gave it.
 */
export class EgressRefusedError extends Error {
  readonly code = 'EGRESS_REFUSED';
  constructor(
    readonly host: string,
    message: string,
  ) {
    super(message);
  }
}

/** Cloud metadata services: they hand out instance credentials, so they are named apart from other link-local/private addresses. */
const METADATA_ADDRESSES = new Set(['169.254.169.254', 'fd00:ec2::254']);
const METADATA_NAMES = new Set(['metadata.google.internal']);

/**
 * What each range ipaddr.js names is, in a refusal message; ranges not listed may be reached
 * (`unicast`, and the globally reachable anycast ranges `as112` and `amt`).
 */
const V4_REASONS: Record<string, string> = {
  unspecified: 'an unspecified address',
  broadcast: 'the broadcast address',
  multicast: 'a multicast address',
  linkLocal: 'a link-local address',
  loopback: 'a loopback address',
  carrierGradeNat: 'a carrier-grade NAT address',
  private: 'a private address',
  reserved: 'a reserved address',
};

/**
 * The IPv6 ranges refused are those IANA's special-purpose registry (RFC 6890) marks as not globally
 * reachable; the globally reachable ones ipaddr.js 2 names (`amt`, `as112v6`, `orchid2`,
 * `droneRemoteIdProtocolEntityTags`) may be reached like `unicast`.
 */
const V6_REASONS: Record<string, string> = {
  unspecified: 'an unspecified address',
  linkLocal: 'a link-local address',
  deprecatedSiteLocal: 'a site-local address',
  multicast: 'a multicast address',
  loopback: 'a loopback address',
  uniqueLocal: 'a private (unique local) address',
  teredo: 'a Teredo tunnel address',
  discard: 'a discard-only address',
  benchmarking: 'a benchmarking address',
  deprecatedOrchid: 'an ORCHID identifier',
  segmentRouting: 'a segment routing (SRv6) address',
  reserved: 'a reserved address',
};

/**
 * Why `address` (an IPv4 or IPv6 literal, without brackets) may not be reached, as a phrase such as
 * `a loopback address`; undefined when it is an ordinary public unicast address. IPv6 forms that
 * carry an IPv4 address (mapped `::ffff:a.b.c.d`, translated, NAT64 `64:ff9b::/96`, 6to4 `2002::/16`)
 * are judged by the IPv4 address they carry. A string that is not an IP address is refused, and so
 * is one Node accepts but ipaddr.js cannot read.
 */
export function addressRefusal(address: string): string | undefined {
  if (!isIP(address)) return 'not an IP address';
  if (!isValid(address)) return 'an address form the egress policy cannot read';
  const ip = parse(address);
  if (ip.kind() === 'ipv4') return v4Refusal(ip as IPv4);
  const v6 = ip as IPv6;
  if (METADATA_ADDRESSES.has(v6.toString())) return 'a cloud metadata address';
  const carried = carriedIPv4(v6);
  if (carried) {
    const reason = v4Refusal(carried);
    return reason && `${reason} (${carried.toString()} in IPv6 form)`;
  }
  return V6_REASONS[v6.range()];
}

function v4Refusal(ip: IPv4): string | undefined {
  if (METADATA_ADDRESSES.has(ip.toString())) return 'a cloud metadata address';
  return V4_REASONS[ip.range()];
}

/** The IPv4 address an IPv6 address stands for, when its range is one that embeds one. */
function carriedIPv4(ip: IPv6): IPv4 | undefined {
  const bytes = ip.toByteArray();
  switch (ip.range()) {
    case 'ipv4Mapped':
    case 'rfc6145':
    case 'rfc6052':
      return new IPv4(bytes.slice(12, 16));
    case '6to4':
      return new IPv4(bytes.slice(2, 6));
    default:
      return undefined;
  }
}

/** A URL's hostname as compared with allow patterns and IP checks: no IPv6 brackets, no trailing dot, IP literals in ipaddr.js's canonical form. */
function bareHost(hostname: string): string {
  const bare = hostname.replace(/^\[(.*)\]$/, '$1').replace(/\.$/, '');
  return isValid(bare) && isIP(bare) ? parse(bare).toString() : bare;
}

/** The port a URL connects to: its own, or its scheme's default. */
export function urlPort(url: URL): number {
  if (url.port) return Number(url.port);
  return url.protocol === 'https:' ? 443 : 80;
}

/** One `host:port` pattern of FLOW_EGRESS_ALLOW; undefined for an entry without a port (it matches nothing). */
function parsePattern(pattern: string): { host: string; port: number | '*' } | undefined {
  const colon = pattern.lastIndexOf(':');
  if (colon <= 0) return undefined;
  const port = pattern.slice(colon + 1);
  if (port !== '*' && !/^\d{1,5}$/.test(port)) return undefined;
  return { host: bareHost(pattern.slice(0, colon).toLowerCase()), port: port === '*' ? '*' : Number(port) };
}

/**
 * The egress policy of flow `fetch` and server-side git clones: ordinary public addresses may be
 * reached; loopback, private, link-local, CGNAT, multicast, unspecified, broadcast, reserved and
 * cloud-metadata addresses (and IPv6 forms of them) are refused unless the URL's `host:port` matches
 * an allow pattern. Addresses are checked after DNS resolution, in the lookup of the socket that
 * connects to them, so a name cannot resolve to one address when checked and another when connected.
 */
export class EgressPolicy {
  private readonly patterns: { host: string; port: number | '*' }[];

  /** @param allow `host:port` patterns (`EgressConfig.allow`; `*` as port matches any port; IPv6 hosts in brackets). */
  constructor(allow: readonly string[]) {
    this.patterns = allow.map(parsePattern).filter((pattern) => pattern !== undefined);
  }

  /** Whether the URL's host (as written: a name or an IP literal) and port match an allow pattern. */
  allows(url: URL): boolean {
    const host = bareHost(url.hostname);
    const port = urlPort(url);
    return this.patterns.some((pattern) => pattern.host === host && (pattern.port === '*' || pattern.port === port));
  }

  /**
   * What can be decided before DNS: an IP-literal host is checked as it is (sockets do not call
   * their lookup for literals), a cloud metadata name is refused by name.
   * @throws EgressRefusedError naming the host and why.
   */
  checkHost(url: URL): void {
    if (this.allows(url)) return;
    const host = bareHost(url.hostname);
    if (METADATA_NAMES.has(host)) throw new EgressRefusedError(host, `${host} is a cloud metadata address`);
    if (!isIP(host)) return;
    const reason = addressRefusal(host);
    if (reason) throw new EgressRefusedError(host, `${host} is ${reason}`);
  }

  /**
   * A `lookup` for `http.request`/`net.connect` to the URL's host: resolves with `dns.lookup` and
   * fails with {@link EgressRefusedError} when any address it resolves to is refused (a name that
   * resolves to a public and a private address could otherwise be connected to the private one).
   * Call {@link checkHost} first: literals never reach a lookup.
   */
  lookup(url: URL): LookupFunction {
    if (this.allows(url)) return dnsLookup;
    return (hostname, options, callback) => {
      dnsLookup(hostname, { ...options, all: true }, (error, addresses) => {
        if (error) return callback(error, []);
        const refusal = resolvedRefusal(hostname, addresses);
        if (refusal) return callback(refusal, []);
        if (options.all) return callback(null, addresses);
        callback(null, addresses[0].address, addresses[0].family);
      });
    };
  }

  /**
   * Resolves the URL's host and checks every address, for a client that does its own connecting
   * (git): pin it to the addresses returned so that it connects to what was checked.
   * @returns the addresses (the literal itself for an IP-literal host).
   * @throws EgressRefusedError naming the host and why; the `dns.lookup` error when it does not resolve.
   */
  async resolve(url: URL): Promise<string[]> {
    this.checkHost(url);
    const host = bareHost(url.hostname);
    if (isIP(host)) return [host];
    const addresses = await new Promise<LookupAddress[]>((resolve, reject) =>
      dnsLookup(host, { all: true }, (error, found) => (error ? reject(error) : resolve(found))),
    );
    const refusal = this.allows(url) ? undefined : resolvedRefusal(host, addresses);
    if (refusal) throw refusal;
    return addresses.map((entry) => entry.address);
  }
}

/** The refusal of the first refused address `host` resolved to, if any. */
function resolvedRefusal(host: string, addresses: LookupAddress[]): EgressRefusedError | undefined {
  for (const { address } of addresses) {
    const reason = addressRefusal(address);
    if (reason) return new EgressRefusedError(host, `${host} resolves to ${address}, ${reason}`);
  }
  return undefined;
}
