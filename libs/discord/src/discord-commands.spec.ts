import { accountOf, commandsOf, namesApp } from './discord-commands.service';

const ask = { name: 'ask', description: 'Ask', options: [{ type: 3, name: 'question', description: 'Your question', required: true }] };
const restart = { name: 'restart', description: 'Start over' };

describe('commandsOf', () => {
  it('unites the commands of every declaration, once each, by name', () => {
    const declarations = [
      { target: 'openflows/*', options: { commands: [restart, ask] } },
      // One subscription row per event name: the same declaration again.
      { target: 'openflows/*', options: { commands: [restart, ask] } },
      { target: 'openflows/123', options: null },
      { target: 'openflows/*', options: { commands: [{ name: 'help', description: 'Help' }] } },
    ];
    expect(commandsOf(declarations)).toEqual({ commands: [ask, { name: 'help', description: 'Help' }, restart], conflicts: [] });
  });

  it('keeps the first of two different declarations of a name and reports the conflict', () => {
    const other = { name: 'ask', description: 'Ask differently' };
    expect(
      commandsOf([
        { target: 'a/*', options: { commands: [ask] } },
        { target: 'a/*', options: { commands: [other] } },
      ]),
    ).toEqual({
      commands: [ask],
      conflicts: ['ask'],
    });
  });

  it('has nothing for sources without commands', () => {
    expect(commandsOf([{ target: 'a/1' }])).toEqual({ commands: [], conflicts: [] });
  });
});

describe('namesApp', () => {
  it("matches a target's account by the application's id or name, lower-cased", () => {
    const app = { applicationId: '775799577604522054', name: 'OpenFlows Bot' };
    expect(namesApp(app, accountOf('775799577604522054/*'))).toBe(true);
    expect(namesApp(app, accountOf('openflows bot/123'))).toBe(true);
    expect(namesApp(app, accountOf('other/*'))).toBe(false);
  });
});
