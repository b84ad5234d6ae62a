import { readFileSync } from 'node:fs';
import { prng } from './prng.ts';

/**
 * Strings the tokenizer must get exactly right: hand-picked hard cases, the two benchmark texts,
 * and seeded random strings drawn from many Unicode blocks. Deterministic: the same list on
 * every run. None holds U+0000 or a lone surrogate (PostgreSQL text cannot).
 */
export function tokenizerCorpus(): string[] {
  const short = randomStrings(260, 0x6e7a2, 40);
  const long = randomStrings(40, 0x10ff, 400); // long pieces in every script: many BPE steps
  return [...HARD_CASES, ...benchmarkTexts().map((b) => b.text), ...short, ...long];
}

/** The texts scripts/bench-tokenizer.ts times: about 10 kB each. */
export function benchmarkTexts(): Array<{ name: string; text: string }> {
  const read = (name: string) => readFileSync(new URL(`../fixtures/tokenizer-corpus.${name}.txt`, import.meta.url), 'utf8');
  return [
    { name: 'English prose', text: read('english') },
    { name: 'mixed scripts, emoji, code', text: read('mixed') },
  ];
}

const HARD_CASES: string[] = [
  // the empty string, one character, one byte of each UTF-8 length
  '', 'a', ' ', '\n', "'", 'é', '中', '😀', '0', '\t',
  // contractions: each one, upper case (not contractions), at the start, after a space, inside runs
  "'s 't 're 've 'm 'll 'd", "'S 'T 'RE 'VE 'M 'LL 'D", "don't won't I'm you're we've they'll she'd it's",
  "'sss", "''s", "?'s", " 's", "\n's", "\t'll", "a'b'c", "x''re", "9'd", "rock'n'roll", "'", "''", "'r", "'v", "'l",
  'don’t it’s', // U+2019 is not the apostrophe of the pattern
  // spaces before words, numbers, symbols; runs of spaces; trailing spaces; blank lines
  '   a', 'a   b', 'a   ', '   ', ' a', '  1', '   !', 'x \ty', ' \t a', 'a\n\n\nb', '\n\n', 'line one\r\nline two\r\n',
  'a \n b', 'trailing\t\t', '\t\ta', '\u00a0a', 'a\u00a0\u00a0b', '\u3000中文\u3000', 'x\u2003\u2003y', '\u2028\u2029',
  '\u0085x\u0085', 'a\u200bb', '\ufeffBOM', ' \u00a0 x', '\u180e \u180e', '\v\f\r', 'tab\there', '\r\n\r\n  \r\n',
  'two  spaces  between  words  ', '    indented code', '\n    return x;\n',
  // letters of every category, digits of every kind
  'ǅungla ǈ ǋ ᾈ', 'ʰʱʲ ˆˇ ーー々', 'ℵℶ ƻ ǀǁ', 'Ⅻ ⅻ ↂ 〇 〡〢', '½ ¾ ² ³ ⑳ ❿', '٣٤٥ ۱۲۳ ४५६ ๑๒๓ ０１２',
  '𝐀𝐁𝐂 𝟎𝟏𝟐 𐍈𐍉', 'x²+y³', 'H₂O CO₂', 'abc123def', '123abc', '3.14159', '1,000,000', '1 000 000', '10_000', '0x1F600',
  '1e-9 -42 +7', '2024-06-30', '$1,234.56', '12:34:56', 'v1.2.3-beta.4', '١٢٣٬٤٥٦', '99%', '#1',
  // combining marks and emoji sequences
  'e\u0301 a\u0300\u0323', 'Z\u0351\u0364\u0363\u0323\u0318a\u0308\u0301', 'ก่ ก้ ก๊', 'नमस्ते', 'க்ஷ', '\u20dd\u20de',
  '👍🏽 👍🏿', '👨‍👩‍👧‍👦', '🏳️‍🌈', '❤️‍🔥', '🇯🇵🇫🇷', '1️⃣ #️⃣', '👩🏽‍💻 at work', '🙂🙂🙂🙂🙂', 'emoji😀in😀words',
  // scripts
  'Привет, мир!', 'Γειά σου Κόσμε', 'שלום עולם', 'مرحبا بالعالم', 'नमस्ते दुनिया', 'こんにちは世界', '안녕하세요 세계',
  '你好，世界！', 'สวัสดีชาวโลก', 'Բարեւ աշխարհ', 'გამარჯობა', 'ሰላም ልዑል', 'Xin chào thế giới', 'Ça va? Größe Öl',
  'İstanbul ığdır', 'ǅemal', 'ﬁnance ﬂow', 'Ａｂｃ！？', 'ｶﾀｶﾅ', '𠜎𠜱𠝹𠱓', '𓀀𓀁𓀂', '᚛ᚑᚌ᚜',
  // code and markup
  'function add(a, b) { return a + b; }', 'def f(x):\n    return x ** 2\n', 'SELECT * FROM t WHERE x <> \'y\';',
  '<div class="a">x</div>', '{"key": [1, 2.5, null, "s"]}', 'https://example.com/a/b?c=d&e=f#g', 'a->b => c != d',
  'if (x) {\n\tfoo();\n}\n', '#include <stdio.h>', '// comment', '/* block */', '$PATH:~/bin', '@user #tag',
  // punctuation runs and symbols
  '...', '!!!???', '---', '***bold***', '(((', '…', '—–-', '«»„“', '€£¥₹₩', '∑∫√∞≈≠', '→←↑↓', '┌─┐│└┘', '©®™',
  // special token text is ordinary text here
  '<|endoftext|>', 'a<|endoftext|>b',
  // long words and runs
  'a'.repeat(1000), 'ab'.repeat(700), 'supercalifragilisticexpialidocious'.repeat(40), '1234567890'.repeat(100),
  ' '.repeat(300) + 'x', '!'.repeat(500), '中文'.repeat(300), '😀'.repeat(200), 'x\n'.repeat(200),
  'Mississippi', 'Hello, wörld!', 'The quick brown fox jumps over the lazy dog.',
];

/** Blocks random strings draw from: [first, last] code points. */
const BLOCKS: Array<[number, number]> = [
  [0x20, 0x7e], [0x20, 0x7e], [0xa0, 0xff], [0x100, 0x24f], [0x250, 0x2ff], [0x300, 0x36f], [0x370, 0x3ff],
  [0x400, 0x4ff], [0x530, 0x58f], [0x590, 0x5ff], [0x600, 0x6ff], [0x900, 0x97f], [0x980, 0x9ff], [0xb80, 0xbff],
  [0xe00, 0xe7f], [0x10a0, 0x10ff], [0x1100, 0x11ff], [0x1680, 0x169f], [0x16a0, 0x16ff], [0x1e00, 0x1eff],
  [0x2000, 0x206f], [0x2070, 0x209f], [0x20a0, 0x20cf], [0x2150, 0x218f], [0x2190, 0x21ff], [0x2200, 0x22ff],
  [0x2460, 0x24ff], [0x2500, 0x257f], [0x2600, 0x26ff], [0x3000, 0x303f], [0x3040, 0x309f], [0x30a0, 0x30ff],
  [0x4e00, 0x9fff], [0xac00, 0xd7a3], [0xe000, 0xe0ff], [0xfb00, 0xfb4f], [0xfe00, 0xfe0f], [0xff00, 0xffef],
  [0xfff0, 0xffff], [0x10000, 0x1007f], [0x10330, 0x1034f], [0x1d400, 0x1d7ff], [0x1f300, 0x1f5ff],
  [0x1f600, 0x1f64f], [0x1f900, 0x1f9ff], [0x20000, 0x2a6df], [0xe0000, 0xe007f], [0x10fff0, 0x10ffff],
];

/** Characters that decide where pieces start, mixed in often. */
const BOUNDARY_CHARACTERS = [..." '  \t\n\r\u00a0\u3000's're0123456789.,!?-'"];

/** `count` random strings of 1 to about `maxLength` code points, from the tests' seeded generator. */
export function randomStrings(count: number, seed: number, maxLength: number): string[] {
  const random = prng(seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)];
  const strings: string[] = [];
  for (let i = 0; i < count; i++) {
    const blocks = [pick(BLOCKS), pick(BLOCKS), pick(BLOCKS)];
    const length = 1 + Math.floor(random() * random() * maxLength);
    let text = '';
    for (let j = 0; j < length; j++) {
      if (random() < 0.3) {
        text += pick(BOUNDARY_CHARACTERS);
        continue;
      }
      const [first, last] = pick(blocks);
      const codePoint = first + Math.floor(random() * (last - first + 1));
      if (codePoint !== 0 && (codePoint < 0xd800 || codePoint > 0xdfff)) text += String.fromCodePoint(codePoint);
    }
    strings.push(text);
  }
  return strings;
}
