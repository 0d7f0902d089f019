/**
 * The part of autocannon's API bench/endpoints.ts uses (the package ships no types): a load of
 * `connections` keeping one request each in flight for `duration` seconds; latencies in ms.
 */
declare module 'autocannon' {
  interface Histogram {
    average: number;
    p50: number;
    p99: number;
    total: number;
  }
  interface Result {
    requests: Histogram;
    latency: Histogram;
    errors: number;
    timeouts: number;
    non2xx: number;
  }
  function autocannon(options: { url: string; connections: number; duration: number; timeout?: number }): Promise<Result>;
  export default autocannon;
}
