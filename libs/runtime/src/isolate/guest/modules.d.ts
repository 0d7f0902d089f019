// Polyfills bundled into the guest script; they ship no types of their own.
declare module 'fast-text-encoding';
declare module 'core-js-pure/actual/*' {
  const value: unknown;
  export default value;
}
