/**
 * Sampling CPU profiles of the platform's processes for the benchmark's `--profile` flag, through the
 * V8 inspector (the processes run with `--inspect=127.0.0.1:0`, which prints the WebSocket address),
 * summarised as self time per package: which code the CPU went to while the load ran.
 */

/** The subset of a V8 `Profiler.Profile` the summary reads. */
interface Profile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] }[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

/** The inspector's WebSocket address printed by a process started with `--inspect`, if any. */
export function inspectorUrl(output: string): string | undefined {
  return /Debugger listening on (ws:\/\/127\.0\.0\.1:\d+\/[\w-]+)/.exec(output)?.[1];
}

/** A connection to one process's inspector that can start and stop its sampling profiler. */
export class CpuProfiler {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve(value: any): void; reject(error: Error): void }>();

  private constructor(private readonly socket: WebSocket) {
    socket.addEventListener('message', (event) => {
      const message = JSON.parse(String(event.data)) as { id?: number; result?: unknown; error?: { message: string } };
      const waiter = message.id === undefined ? undefined : this.pending.get(message.id);
      if (!waiter) return;
      this.pending.delete(message.id!);
      if (message.error) waiter.reject(new Error(message.error.message));
      else waiter.resolve(message.result);
    });
  }

  static async connect(url: string): Promise<CpuProfiler> {
    const socket = new WebSocket(url);
    await new Promise<void>((resolve, reject) => {
      socket.addEventListener('open', () => resolve(), { once: true });
      socket.addEventListener('error', () => reject(new Error(`cannot connect to the inspector at ${url}`)), { once: true });
    });
    return new CpuProfiler(socket);
  }

  private call<T = unknown>(method: string, params: Record<string, unknown> = {}): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.socket.send(JSON.stringify({ id, method, params }));
    });
  }

  /** Starts sampling every `intervalUs` microseconds. */
  async start(intervalUs = 1000): Promise<void> {
    await this.call('Profiler.enable');
    await this.call('Profiler.setSamplingInterval', { interval: intervalUs });
    await this.call('Profiler.start');
  }

  async stop(): Promise<Profile> {
    const { profile } = await this.call<{ profile: Profile }>('Profiler.stop');
    return profile;
  }

  close(): void {
    this.socket.close();
  }
}

/** Where a sampled function lives: a package, a part of OpenFlows, Node itself, or V8 bookkeeping. */
function categoryOf(frame: { functionName: string; url: string }, root: string): string {
  const { url, functionName } = frame;
  if (!url) return functionName.startsWith('(') ? functionName : '(native/builtin)';
  const nodeModules = url.lastIndexOf('/node_modules/');
  if (nodeModules >= 0) {
    const [first, second] = url.slice(nodeModules + '/node_modules/'.length).split('/');
    return first.startsWith('@') ? `${first}/${second}` : first;
  }
  if (url.startsWith('node:')) return 'node (built-in modules)';
  if (url.startsWith('wasm://')) return 'WebAssembly (e.g. PGlite)';
  const local = url.replace(/^file:\/\//, '');
  if (local.startsWith(root)) {
    const parts = local
      .slice(root.length + 1)
      .replace(/^dist\//, '')
      .split('/');
    return parts[0] === 'libs' || parts[0] === 'apps' ? `openflows ${parts[0]}/${parts[1]}` : `openflows ${parts[0]}`;
  }
  return local.startsWith('/') ? 'other files' : `flow code (${local})`;
}

/**
 * Self time per category as percentages of the profile's wall time, biggest first; `(idle)` is the
 * event loop waiting, `(garbage collector)` V8's GC on the main thread.
 */
export function summarize(profile: Profile, root: string, top = 12): string[] {
  const byNode = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const selfUs = new Map<string, number>();
  const fnUs = new Map<string, number>();
  /** For each hot function: time per calling package chain (nearest distinct packages first). */
  const callersUs = new Map<string, Map<string, number>>();
  const label = (frame: Profile['nodes'][number]['callFrame'], category: string) =>
    `${frame.functionName || '(anonymous)'} ${frame.url.slice(frame.url.lastIndexOf('/') + 1)}:${frame.lineNumber + 1} [${category}]`;
  profile.samples.forEach((id, i) => {
    const frame = byNode.get(id)!.callFrame;
    const delta = profile.timeDeltas[i] ?? 0;
    const category = categoryOf(frame, root);
    selfUs.set(category, (selfUs.get(category) ?? 0) + delta);
    if (frame.functionName.startsWith('(')) return;
    const key = label(frame, category);
    fnUs.set(key, (fnUs.get(key) ?? 0) + delta);
    const chain: string[] = [];
    for (let up = parent.get(id); up !== undefined && chain.length < 3; up = parent.get(up)) {
      const upCategory = categoryOf(byNode.get(up)!.callFrame, root);
      if (upCategory !== category && upCategory !== chain.at(-1) && !upCategory.startsWith('(')) chain.push(upCategory);
    }
    const callers = callersUs.get(key) ?? new Map<string, number>();
    const via = chain.join(' < ') || '(no caller outside its package)';
    callers.set(via, (callers.get(via) ?? 0) + delta);
    callersUs.set(key, callers);
  });
  const total = profile.endTime - profile.startTime;
  const pct = (us: number) => `${((100 * us) / total).toFixed(1).padStart(5)}%`;
  const ranked = (map: Map<string, number>, n = top) => [...map].sort((a, b) => b[1] - a[1]).slice(0, n);
  return [
    `self time by package, % of ${(total / 1e6).toFixed(1)} s:`,
    ...ranked(selfUs).map(([name, us]) => `  ${pct(us)}  ${name}`),
    'hottest functions (self time):',
    ...ranked(fnUs).map(([name, us]) => `  ${pct(us)}  ${name}`),
    'callers of the 3 hottest functions (nearest calling packages):',
    ...ranked(fnUs)
      .slice(0, 3)
      .flatMap(([name]) => [`  ${name}`, ...ranked(callersUs.get(name)!, 3).map(([via, us]) => `    ${pct(us)}  via ${via}`)]),
  ];
}
