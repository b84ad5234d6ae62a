/**
 * Prompts that must reach the model as text, never as SQL or psql input: quotes, backslashes,
 * dollar quotes, SQL, template placeholders, psql meta-commands (`\!` runs a shell command, `\q`
 * quits), comments, CR and tabs, and characters beyond ASCII.
 */
export const HOSTILE_PROMPTS = [
  "it's 'quoted' and \"double\"",
  'back\\slash \\\\ and E\'\\x41\' \\n',
  '$$ dollar $$ $tag$ quotes $tag$ $1 {{ids}}',
  "'); DROP TABLE wte; --",
  'line one\n\\! echo pwned\n\\q\nafter quit',
  '/* comment */ -- comment\r\n\ttab',
  'Grüße, 世界 👋🏽', // not hostile: UTF-8 must arrive as UTF-8, whatever the terminal's locale
];
