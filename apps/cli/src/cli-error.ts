/**
 * An error meant for the person at the terminal: `main` prints its message as `error: <message>` and
 * exits with status 1, without a stack trace.
 */
export class CliError extends Error {
  override readonly name = 'CliError';
}
