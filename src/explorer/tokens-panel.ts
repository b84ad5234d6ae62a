// The prompt's tokens: each as a chip with its text (whitespace made visible), its id and its
// bytes, the exact values kept in data attributes.

import type { ExplorerToken, TraceResponse } from './explorer-api.ts';
import { byId, el, fill, visibleText } from './dom.ts';
import { showSql } from './sql-box.ts';

/** The hex of a token's bytes as "48 65 6c", one pair a byte: that is what the tokenizer merged. */
function bytePieces(hex: string): string {
  return hex.match(/../g)?.join(' ') ?? '';
}

function tokenChip(token: ExplorerToken): HTMLElement {
  return el('div', {
    className: 'token',
    title: `position ${token.t}, id ${token.id}, bytes ${bytePieces(token.bytes)}`,
    attrs: { 'data-t': String(token.t), 'data-id': String(token.id), 'data-bytes': token.bytes, 'data-text': token.text },
  }, [
    el('span', { className: 'token-text', text: visibleText(token.text) }),
    el('span', { className: 'token-id', text: String(token.id) }),
    el('span', { className: 'token-bytes', text: bytePieces(token.bytes) }),
  ]);
}

export function drawTokens(trace: TraceResponse): void {
  fill(byId('tokens'), trace.tokens.map(tokenChip));
  byId('token-count').textContent = `${trace.tokens.length} token${trace.tokens.length === 1 ? '' : 's'}`;
  showSql(byId('tokens-panel'), trace.sql.tokens);
}
