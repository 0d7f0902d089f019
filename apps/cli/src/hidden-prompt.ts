import { CliError } from './cli-error';

const ENTER = new Set(['\r', '\n']);
const BACKSPACE = new Set(['\u007f', '\b']);
const CTRL_C = '\u0003';
const CTRL_D = '\u0004';

/**
 * Asks for a line on the terminal without echoing it (for secrets): writes `question` to stderr,
 * reads stdin in raw mode until Enter; Backspace deletes. Needs stdin to be a TTY.
 * @throws CliError when the user presses Ctrl-C or Ctrl-D.
 */
export function promptHidden(question: string): Promise<string> {
  const stdin = process.stdin;
  process.stderr.write(question);
  stdin.setRawMode(true);
  stdin.setEncoding('utf8');
  stdin.resume();
  return new Promise((resolve, reject) => {
    let typed = '';
    const finish = (settle: () => void) => {
      stdin.off('data', onData);
      stdin.setRawMode(false);
      stdin.pause();
      process.stderr.write('\n');
      settle();
    };
    const onData = (chunk: string) => {
      for (const char of chunk) {
        if (ENTER.has(char)) return finish(() => resolve(typed));
        if (char === CTRL_C || char === CTRL_D) return finish(() => reject(new CliError('cancelled')));
        typed = BACKSPACE.has(char) ? typed.slice(0, -1) : typed + char;
      }
    };
    stdin.on('data', onData);
  });
}
