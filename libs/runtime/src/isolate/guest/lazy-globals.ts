/**
 * Web globals evaluated on first use: their polyfills (core-js-pure's URL, structuredClone, atob/btoa;
 * fast-text-encoding; abort-controller) cost most of a new context's start-up, and most flows never
 * touch them. esbuild keeps each `require` below as a lazily initialised module of the guest script.
 */
/* eslint-disable @typescript-eslint/no-require-imports -- lazy on purpose, see above */

type Loader = () => unknown;

const LAZY: Record<string, Loader> = {
  URL: () => require('core-js-pure/actual/url'),
  URLSearchParams: () => require('core-js-pure/actual/url-search-params'),
  structuredClone: () => require('core-js-pure/actual/structured-clone'),
  atob: () => require('core-js-pure/actual/atob'),
  btoa: () => require('core-js-pure/actual/btoa'),
  TextEncoder: () => (require('fast-text-encoding') as Record<string, unknown>).TextEncoder,
  TextDecoder: () => (require('fast-text-encoding') as Record<string, unknown>).TextDecoder,
  AbortController: () => (require('abort-controller') as Record<string, unknown>).AbortController,
  AbortSignal: () => (require('abort-controller') as Record<string, unknown>).AbortSignal,
};

/** Defines each global as a getter that loads it once, then replaces itself with a plain (writable) value. */
export function defineLazyGlobals(global: Record<string, unknown>): void {
  for (const [name, load] of Object.entries(LAZY)) {
    Object.defineProperty(global, name, {
      configurable: true,
      enumerable: false,
      get() {
        const value = load();
        Object.defineProperty(global, name, { value, writable: true, configurable: true, enumerable: false });
        return value;
      },
      set(value: unknown) {
        Object.defineProperty(global, name, { value, writable: true, configurable: true, enumerable: false });
      },
    });
  }
}
