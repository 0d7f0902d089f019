import { SdkError, type ChatResponse, type ToolCall } from '@openflows/sdk';
import type { ChatSessionForm, ChatSessionOptions, ChatSessionStep, ToolResult } from '@openflows/sdk/llm';
import type { EffectJournal } from '../journal/effect-journal';
import type { LlmServices } from './llm-services';

/** Chat sessions one run may have open at once (each holds a provider request). */
const MAX_OPEN_SESSIONS = 16;

interface ToolRound {
  calls: ToolCall[];
  /** True once a pull handed the calls to the flow. */
  handedOut: boolean;
  resolve(results: ToolResult[]): void;
  reject(error: Error): void;
}

interface Session {
  deltas: string[];
  round?: ToolRound;
  outcome?: { ok: true; response: ChatResponse } | { ok: false; error: unknown };
  /** The pull waiting for something to happen, if any. */
  wake?: () => void;
}

/**
 * The host's side of streamed and tool-using chat calls for ONE run. The guest pulls: it starts a
 * session (`llm.chat.start`), then asks `llm.chat.next` again and again; each pull waits until
 * something happened and answers everything that did since the last one: the text deltas that
 * arrived meanwhile (a batch), a round of tool calls to run in the flow (their results come with the
 * next pull), or the end with the whole response (or the error).
 *
 * Why pull rather than push deltas into the isolate: a pull is an ordinary bridge call, so streaming
 * and tools need no new message kind, entry point or queue inside the isolate, and they stay under
 * the run's call budget, argument limits and CPU accounting like any SDK call. Batching comes for
 * free — a flow that is slow to consume (e.g. awaiting a `chat.update`) gets all pending deltas in
 * its next pull instead of one message per token — and the provider stream is read at its own pace
 * whatever the flow does, so the history is stored once, when the model is done. A round trip costs
 * ~0.1 ms, small beside a model's token interval. Pushing would have saved that round trip but
 * needed a guest-side queue fed from the host's event loop and its own volume limit.
 *
 * {@link close} (the run ended) aborts provider requests still running and fails tool rounds still
 * waiting, so nothing outlives the run.
 *
 * With the run's journal, a whole chat call is one effect (an LLM turn: its history, its cost): a
 * retry that reaches the same call gets the recorded response without asking the model or running
 * the tools again; a streamed one then gets the answer as a single delta.
 */
export class ChatSessions {
  private readonly sessions = new Map<number, Session>();
  private readonly abort = new AbortController();
  private lastId = 0;

  constructor(
    private readonly llm: LlmServices | undefined,
    private readonly journal?: EffectJournal,
  ) {}

  /**
   * Starts the chat call on the host. @returns the session's id for {@link next}.
   * @throws SdkError NOT_IN_RUNTIME without LLM services, INVALID_ARGUMENT past 16 open sessions.
   */
  start(keyName: string, form: ChatSessionForm, options: ChatSessionOptions): { id: number } {
    if (!this.llm) throw new SdkError('NOT_IN_RUNTIME', 'streamed, tool-using and messages-form chat calls are not available here');
    if (this.sessions.size >= MAX_OPEN_SESSIONS) {
      throw new SdkError('INVALID_ARGUMENT', `a run may have at most ${MAX_OPEN_SESSIONS} chat calls under way at once`);
    }
    const llm = this.llm;
    const id = ++this.lastId;
    const session: Session = { deltas: [] };
    let streamed = false;
    this.sessions.set(id, session);
    const wake = () => session.wake?.();
    const hasTools = (options.tools?.length ?? 0) > 0;
    const ended = (outcome: NonNullable<Session['outcome']>) => {
      session.outcome = outcome;
      wake();
    };
    const call = () =>
      llm.chat(keyName, form, options, {
        signal: this.abort.signal,
        onDelta:
          options.stream === true
            ? (text) => {
                streamed = true;
                session.deltas.push(text);
                wake();
              }
            : undefined,
        callTools: hasTools
          ? (calls) =>
              new Promise<ToolResult[]>((resolve, reject) => {
                session.round = { calls, handedOut: false, resolve, reject };
                wake();
              })
          : undefined,
      });
    const answered = this.journal ? (this.journal.step('llm.chat', [keyName, form, options], call) as Promise<ChatResponse>) : call();
    answered.then(
      (response) => {
        // A replayed call streamed nothing: its answer comes as one delta.
        if (options.stream === true && !streamed && response.choice !== '') session.deltas.push(response.choice);
        ended({ ok: true, response });
      },
      (error: unknown) => ended({ ok: false, error }),
    );
    return { id };
  }

  /**
   * Hands over what happened since the last pull, waiting until something did. `results` answer the
   * tool calls the previous pull handed out.
   * @throws SdkError INVALID_ARGUMENT for an unknown session, a second pull at once, results nobody
   *   asked for or that do not answer the calls; the chat call's own error once it failed.
   */
  async next(id: number, results?: ToolResult[]): Promise<ChatSessionStep> {
    const session = this.sessions.get(id);
    if (!session) throw new SdkError('INVALID_ARGUMENT', `no chat call ${id} is under way in this run`);
    if (session.wake) throw new SdkError('INVALID_ARGUMENT', 'one pull at a time per chat call');
    if (results !== undefined) this.answer(session, results);
    while (session.deltas.length === 0 && !(session.round && !session.round.handedOut) && !session.outcome) {
      await new Promise<void>((resolve) => (session.wake = resolve));
      session.wake = undefined;
    }
    const step: ChatSessionStep = { deltas: session.deltas.splice(0) };
    if (session.round && !session.round.handedOut) {
      session.round.handedOut = true;
      step.toolCalls = session.round.calls;
      return step;
    }
    // The last deltas come with the response; an error waits until the deltas before it were handed over.
    if (session.outcome && (session.outcome.ok || step.deltas.length === 0)) {
      this.sessions.delete(id);
      if (!session.outcome.ok) throw session.outcome.error;
      step.response = session.outcome.response;
    }
    return step;
  }

  /** Ends every session of the run: provider requests are aborted, waiting tool rounds fail. */
  close(): void {
    this.abort.abort();
    for (const session of this.sessions.values()) session.round?.reject(new SdkError('NOT_IN_RUNTIME', 'the run ended'));
    this.sessions.clear();
  }

  private answer(session: Session, results: ToolResult[]): void {
    const round = session.round;
    if (!round?.handedOut) throw new SdkError('INVALID_ARGUMENT', 'no tool calls are waiting for results');
    const ids = new Set(round.calls.map((call) => call.id));
    const valid =
      Array.isArray(results) &&
      results.length === ids.size &&
      results.every((r) => r && ids.has(r.toolCallId) && typeof r.content === 'string') &&
      new Set(results.map((r) => r.toolCallId)).size === ids.size;
    if (!valid) throw new SdkError('INVALID_ARGUMENT', 'tool results must answer each tool call once with a string');
    session.round = undefined;
    round.resolve(results);
  }
}
