/**
 * Timers inside the isolate: V8 alone has none. The host keeps the clock and enters the isolate
 * through {@link fireTimer}, so a timer's callback runs under the run's CPU limit like any other code.
 */
import { post } from './bridge';

interface Timer {
  callback: () => void;
  repeat: boolean;
}

const timers = new Map<number, Timer>();
let lastTimerId = 0;

function schedule(callback: unknown, ms: unknown, repeat: boolean, args: unknown[]): number {
  if (typeof callback !== 'function') throw new TypeError('the callback of a timer must be a function');
  const id = ++lastTimerId;
  timers.set(id, { callback: () => (callback as (...a: unknown[]) => void)(...args), repeat });
  const delay = Math.max(0, Math.min(Number(ms) || 0, 2 ** 31 - 1));
  post(repeat ? 'interval' : 'timeout', id, delay);
  return id;
}

function clear(id: unknown): void {
  if (typeof id !== 'number' || !timers.delete(id)) return;
  post('clearTimer', id);
}

/** Entered by the host when timer `id` is due. */
export function fireTimer(id: number): void {
  const timer = timers.get(id);
  if (!timer) return;
  if (!timer.repeat) timers.delete(id);
  timer.callback();
}

/** Drops every timer (the host has cleared its side when a run ends). */
export function clearTimers(): void {
  timers.clear();
}

export const timerGlobals = {
  setTimeout: (callback: unknown, ms?: unknown, ...args: unknown[]) => schedule(callback, ms, false, args),
  setInterval: (callback: unknown, ms?: unknown, ...args: unknown[]) => schedule(callback, ms, true, args),
  clearTimeout: clear,
  clearInterval: clear,
};
