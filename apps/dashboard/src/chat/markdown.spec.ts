import { describe, expect, it } from '@jest/globals';
import { highlight, parseBlocks, parseInline } from './markdown';

describe('parseBlocks', () => {
  it('reads paragraphs, headings, lists, quotes and fenced code', () => {
    const text =
      '# Title\nFirst line\nsecond line\n\n- one\n- two\n1. first\n2) second\n> quoted\n> more\n\n```TS\nconst a = 1;\n\n```\nafter';
    expect(parseBlocks(text)).toEqual([
      { kind: 'heading', level: 1, text: 'Title' },
      { kind: 'paragraph', text: 'First line\nsecond line' },
      { kind: 'list', ordered: false, items: ['one', 'two'] },
      { kind: 'list', ordered: true, items: ['first', 'second'] },
      { kind: 'quote', text: 'quoted\nmore' },
      { kind: 'code', language: 'ts', code: 'const a = 1;\n' },
      { kind: 'paragraph', text: 'after' },
    ]);
  });

  it('runs an unclosed fence (an answer still streaming) to the end', () => {
    expect(parseBlocks('Here:\n```py\nprint(1)')).toEqual([
      { kind: 'paragraph', text: 'Here:' },
      { kind: 'code', language: 'py', code: 'print(1)' },
    ]);
  });

  it('keeps markup-looking text as text: nothing is HTML', () => {
    expect(parseBlocks('<script>alert(1)</script>')).toEqual([{ kind: 'paragraph', text: '<script>alert(1)</script>' }]);
  });
});

describe('parseInline', () => {
  it('reads code, bold, italics and links', () => {
    expect(parseInline('a `b` **c _d_** *e* [f](https://example.com/x)')).toEqual([
      { kind: 'text', text: 'a ' },
      { kind: 'code', text: 'b' },
      { kind: 'text', text: ' ' },
      {
        kind: 'strong',
        children: [
          { kind: 'text', text: 'c ' },
          { kind: 'em', children: [{ kind: 'text', text: 'd' }] },
        ],
      },
      { kind: 'text', text: ' ' },
      { kind: 'em', children: [{ kind: 'text', text: 'e' }] },
      { kind: 'text', text: ' ' },
      { kind: 'link', href: 'https://example.com/x', children: [{ kind: 'text', text: 'f' }] },
    ]);
  });

  it('leaves links to other schemes as text, and underscores inside words alone', () => {
    expect(parseInline('[x](javascript:alert(1)) snake_case_name')).toEqual([
      { kind: 'text', text: '[x](javascript:alert(1)' },
      { kind: 'text', text: ') snake_case_name' },
    ]);
    expect(parseInline('[mail](mailto:a@example.com)')).toEqual([
      { kind: 'link', href: 'mailto:a@example.com', children: [{ kind: 'text', text: 'mail' }] },
    ]);
  });

  it('keeps code spans literal', () => {
    expect(parseInline('`**not bold**`')).toEqual([{ kind: 'code', text: '**not bold**' }]);
  });
});

describe('highlight', () => {
  it('marks keywords, strings, numbers and comments; the rest is plain', () => {
    expect(highlight('const s = "a // b"; // note\nreturn 42', 'js')).toEqual([
      { type: 'kw', text: 'const' },
      { type: 'plain', text: ' ' },
      { type: 'plain', text: 's' },
      { type: 'plain', text: ' = ' },
      { type: 'str', text: '"a // b"' },
      { type: 'plain', text: '; ' },
      { type: 'com', text: '// note' },
      { type: 'plain', text: '\n' },
      { type: 'kw', text: 'return' },
      { type: 'plain', text: ' ' },
      { type: 'num', text: '42' },
    ]);
  });

  it('reads # as a comment in Python, not in CSS', () => {
    expect(highlight('x = 1  # one', 'python').at(-1)).toEqual({ type: 'com', text: '# one' });
    expect(highlight('#main { color: red }', 'css').some((t) => t.type === 'com')).toBe(false);
  });

  it('gives back every character of the code, in order', () => {
    const code = 'def f(x):\n    return x * 2  # double\n';
    expect(
      highlight(code, 'py')
        .map((t) => t.text)
        .join(''),
    ).toBe(code);
  });
});
