/**
 * A safe Markdown subset for the chat's answers, parsed into blocks and built as DOM nodes whose text
 * is always set as text (never as HTML), so nothing in an answer can run or inject markup:
 * paragraphs, `#`–`###` headings, `-`/`*` and `1.` lists, `>` quotes, fenced code blocks with a
 * small highlighter, inline code, `**bold**`, `*italic*`/`_italic_` and `[links](https://…)` (only
 * http, https and mailto; opened in a new tab without referrer).
 */

export type Block =
  | { kind: 'paragraph'; text: string }
  | { kind: 'heading'; level: 1 | 2 | 3; text: string }
  | { kind: 'list'; ordered: boolean; items: string[] }
  | { kind: 'quote'; text: string }
  | { kind: 'code'; language: string; code: string };

export type Inline =
  | { kind: 'text'; text: string }
  | { kind: 'code'; text: string }
  | { kind: 'strong'; children: Inline[] }
  | { kind: 'em'; children: Inline[] }
  | { kind: 'link'; href: string; children: Inline[] };

const FENCE = /^\s*(```|~~~)\s*([\w+#.-]*)\s*$/;
const HEADING = /^(#{1,3})\s+(.*)$/;
const BULLET = /^\s*[-*+]\s+(.*)$/;
const NUMBERED = /^\s*\d{1,9}[.)]\s+(.*)$/;
const QUOTE = /^\s*>\s?(.*)$/;

/** Splits `text` into blocks; an unclosed fence (an answer still streaming) runs to the end. */
export function parseBlocks(text: string): Block[] {
  const lines = text.replace(/\r\n?/g, '\n').split('\n');
  const blocks: Block[] = [];
  let paragraph: string[] = [];
  const endParagraph = () => {
    if (paragraph.length > 0) blocks.push({ kind: 'paragraph', text: paragraph.join('\n') });
    paragraph = [];
  };
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    const fence = FENCE.exec(line);
    if (fence) {
      endParagraph();
      const code: string[] = [];
      for (i++; i < lines.length && !(lines[i].trim().startsWith(fence[1]) && lines[i].trim() === fence[1]); i++) code.push(lines[i]);
      blocks.push({ kind: 'code', language: fence[2].toLowerCase(), code: code.join('\n') });
      continue;
    }
    const heading = HEADING.exec(line);
    if (heading) {
      endParagraph();
      blocks.push({ kind: 'heading', level: heading[1].length as 1 | 2 | 3, text: heading[2] });
      continue;
    }
    const item = BULLET.exec(line) ?? NUMBERED.exec(line);
    if (item) {
      endParagraph();
      const ordered = !BULLET.test(line);
      const last = blocks.at(-1);
      if (last?.kind === 'list' && last.ordered === ordered) last.items.push(item[1]);
      else blocks.push({ kind: 'list', ordered, items: [item[1]] });
      continue;
    }
    const quote = QUOTE.exec(line);
    if (quote) {
      endParagraph();
      const last = blocks.at(-1);
      if (last?.kind === 'quote') last.text += `\n${quote[1]}`;
      else blocks.push({ kind: 'quote', text: quote[1] });
      continue;
    }
    if (line.trim() === '') endParagraph();
    else paragraph.push(line);
  }
  endParagraph();
  return blocks;
}

const SAFE_LINK = /^(https?:\/\/|mailto:)/i;

/** Parses inline code, emphasis and links; anything else is text. */
export function parseInline(text: string): Inline[] {
  const out: Inline[] = [];
  let plain = '';
  const flush = () => {
    if (plain) out.push({ kind: 'text', text: plain });
    plain = '';
  };
  for (let i = 0; i < text.length;) {
    const rest = text.slice(i);
    const code = /^`([^`\n]+)`/.exec(rest);
    const strong = /^\*\*(?=\S)([\s\S]*?\S)\*\*/.exec(rest) ?? /^__(?=\S)([\s\S]*?\S)__/.exec(rest);
    // snake_case words keep their underscores: `_` opens emphasis only after a non-word character.
    const underscore = /\w/.test(text[i - 1] ?? '') ? null : /^_(?=\S)([^_\n]*?\S)_(?!\w)/.exec(rest);
    const em = /^\*(?=\S)([^*\n]*?\S)\*/.exec(rest) ?? underscore;
    const link = /^\[([^\]\n]+)\]\(([^)\s]+)\)/.exec(rest);
    const match = code ?? strong ?? em ?? link;
    if (!match) {
      plain += text[i];
      i++;
      continue;
    }
    flush();
    if (match === code) out.push({ kind: 'code', text: match[1] });
    else if (match === strong) out.push({ kind: 'strong', children: parseInline(match[1]) });
    else if (match === em) out.push({ kind: 'em', children: parseInline(match[1]) });
    else if (SAFE_LINK.test(match[2])) out.push({ kind: 'link', href: match[2], children: parseInline(match[1]) });
    else out.push({ kind: 'text', text: match[0] });
    i += match[0].length;
  }
  flush();
  return out;
}

const KEYWORDS = new Set(
  (
    'abstract and as async await break case catch class const continue def default del do elif else enum except export extends ' +
    'false final finally fn for from func function go if impl import in interface is lambda let match mod mut new nil none not ' +
    'null or package pass private protected pub public raise return self static struct super switch this throw throws true try ' +
    'type typeof undefined use val var void where while with yield'
  ).split(' '),
);

/** A token of a code block: a class name for the highlighter (`kw`, `str`, `com`, `num`) or plain. */
export interface CodeToken {
  type: 'kw' | 'str' | 'com' | 'num' | 'plain';
  text: string;
}

const TOKEN =
  /(\/\/[^\n]*|#[^\n]*|\/\*[\s\S]*?\*\/|--[^\n]*)|("(?:\\.|[^"\\\n])*"|'(?:\\.|[^'\\\n])*'|`(?:\\.|[^`\\])*`)|(\b\d[\d_.]*(?:e[+-]?\d+)?\b|\b0x[\da-f]+\b)|([A-Za-z_$][\w$]*)/gi;

/**
 * Tokens of `code` for a language-agnostic highlighter: comments (`//`, `#`, `/* *\/`, `--`, not `#` in
 * C-like languages' preprocessor sense), strings, numbers, and keywords of common languages.
 */
export function highlight(code: string, language: string): CodeToken[] {
  const hashComments = !['c', 'cpp', 'c++', 'css', 'html', 'markdown', 'md'].includes(language);
  const tokens: CodeToken[] = [];
  let last = 0;
  for (const match of code.matchAll(TOKEN)) {
    const index = match.index ?? 0;
    if (match[1]?.startsWith('#') && !hashComments) continue;
    if (match[1]?.startsWith('--') && !['sql', 'lua', 'haskell', 'hs'].includes(language)) continue;
    if (index > last) tokens.push({ type: 'plain', text: code.slice(last, index) });
    const type = match[1] ? 'com' : match[2] ? 'str' : match[3] ? 'num' : KEYWORDS.has(match[4]) ? 'kw' : 'plain';
    tokens.push({ type, text: match[0] });
    last = index + match[0].length;
  }
  if (last < code.length) tokens.push({ type: 'plain', text: code.slice(last) });
  return tokens;
}

function inlineNodes(parts: Inline[]): Node[] {
  return parts.map((part) => {
    switch (part.kind) {
      case 'text':
        return document.createTextNode(part.text);
      case 'code': {
        const code = document.createElement('code');
        code.textContent = part.text;
        return code;
      }
      case 'strong':
      case 'em': {
        const element = document.createElement(part.kind);
        element.append(...inlineNodes(part.children));
        return element;
      }
      case 'link': {
        const a = document.createElement('a');
        a.href = part.href;
        a.target = '_blank';
        a.rel = 'noopener noreferrer nofollow';
        a.append(...inlineNodes(part.children));
        return a;
      }
    }
  });
}

/** Text with line breaks kept, as inline nodes. */
function lines(text: string): Node[] {
  return text
    .split('\n')
    .flatMap((line, i) => (i === 0 ? inlineNodes(parseInline(line)) : [document.createElement('br'), ...inlineNodes(parseInline(line))]));
}

/** The DOM of `text` rendered as Markdown (see the module's comment), in a fragment. */
export function renderMarkdown(text: string): DocumentFragment {
  const fragment = document.createDocumentFragment();
  for (const block of parseBlocks(text)) {
    switch (block.kind) {
      case 'paragraph': {
        const p = document.createElement('p');
        p.append(...lines(block.text));
        fragment.append(p);
        break;
      }
      case 'heading': {
        const h = document.createElement(`h${block.level + 2}`);
        h.append(...inlineNodes(parseInline(block.text)));
        fragment.append(h);
        break;
      }
      case 'list': {
        const list = document.createElement(block.ordered ? 'ol' : 'ul');
        for (const item of block.items) {
          const li = document.createElement('li');
          li.append(...inlineNodes(parseInline(item)));
          list.append(li);
        }
        fragment.append(list);
        break;
      }
      case 'quote': {
        const quote = document.createElement('blockquote');
        quote.append(...lines(block.text));
        fragment.append(quote);
        break;
      }
      case 'code': {
        const pre = document.createElement('pre');
        const code = document.createElement('code');
        if (block.language) code.dataset.language = block.language;
        for (const token of highlight(block.code, block.language)) {
          if (token.type === 'plain') code.append(document.createTextNode(token.text));
          else {
            const span = document.createElement('span');
            span.className = `tok-${token.type}`;
            span.textContent = token.text;
            code.append(span);
          }
        }
        pre.append(code);
        fragment.append(pre);
        break;
      }
    }
  }
  return fragment;
}
