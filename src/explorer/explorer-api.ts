/**
 * The explorer's JSON endpoints, as types shared by the server (src/http/explorer-routes.ts) and
 * the page (src/explorer/). Types only: nothing here runs.
 *
 * Every endpoint is a GET with typed query parameters (never SQL): `model` and `prompt` name the
 * trace (the server traces the prompt once, into a schema of its own, and reads that trace for
 * every later request on the same model and prompt). Errors come as the API's errors do:
 * `{ error: { message, type, param, code } }` with a 4xx status (5xx when the server failed).
 */

/** The SQL behind one picture: paste `sql` into psql; it reads `tables` (schema-qualified). */
export interface ShownSql {
  sql: string;
  tables: string[];
}

/** GET /explorer/models */
export interface ModelsResponse {
  models: ExplorerModel[];
}

export interface ExplorerModel {
  name: string;
  n_layer: number;
  n_head: number;
  n_embd: number;
  n_ctx: number;
  n_vocab: number;
  kernel: string;
}

/** One prompt token: its position, id, its text (U+FFFD where it holds part of a character) and its bytes as hex. */
export interface ExplorerToken {
  t: number;
  id: number;
  text: string;
  bytes: string;
}

/**
 * GET /explorer/trace?model=M&prompt=P: the trace of the prompt (made if it is not there yet):
 * tokens, every head's attention (for the grid) and the logit lens.
 */
export interface TraceResponse {
  model: ExplorerModel;
  /** The trace's schema (trace_explore_…), for psql. */
  trace: string;
  /** Seconds the trace took to make, or 0 when it was already there. */
  traced_seconds: number;
  tokens: ExplorerToken[];
  /**
   * `attention[block][head][t][s]` for s <= t: how much position t attends to position s
   * (rounded to 4 decimals for the grid; GET /explorer/head gives one head exactly).
   */
  attention: number[][][][];
  /** The logit lens at the last position: for each block, its top 5 tokens, rank 1 first. */
  lens: LensRow[][];
  sql: { tokens: ShownSql; attention: ShownSql; lens: ShownSql };
}

/** One cell of the logit lens: what block `block`'s output (residual3) would predict through ln_f and the output head. */
export interface LensRow {
  block: number;
  rank: number;
  token: number;
  text: string;
  logit: number;
  /** softmax over the whole vocabulary of that block's lens logits */
  prob: number;
}

/** GET /explorer/head?model=M&prompt=P&block=B&head=H: one head's attention, exact. */
export interface HeadResponse {
  block: number;
  head: number;
  /** The token texts, labels of both axes. */
  tokens: string[];
  /** `weights[t][s]` for s <= t (row t has t + 1 values), as the trace's att table has them. */
  weights: number[][];
  sql: ShownSql;
}

/**
 * GET /explorer/next?model=M&prompt=P&temperature=X&top_k=K&top_p=P&min_p=M&count=N: the candidates for
 * the token after the prompt, from the trace's logits (no forward pass), under those sampling
 * options, as sample.sql keeps them.
 */
export interface NextResponse {
  temperature: number;
  top_k: number;
  top_p: number;
  min_p: number;
  /** The `count` most probable candidates (default 20), rank 1 first. */
  candidates: Candidate[];
  /** How many tokens of the whole vocabulary top-k, top-p and min-p keep. */
  kept_count: number;
  sql: ShownSql;
}

export interface Candidate {
  rank: number;
  token: number;
  text: string;
  logit: number;
  /** softmax(logits / temperature) over the vocabulary (temperature 0: 1 for rank 1, 0 for the others) */
  prob: number;
  /** whether top-k, top-p and min-p keep it */
  kept: boolean;
  /** its probability among the kept ones, renormalized as sample.sql does (0 when not kept) */
  kept_prob: number;
  /** the running sum of kept_prob in rank order, up to and including it (0 when not kept) */
  cumulative: number;
}

/**
 * GET /explorer/generate-sql?model=M&prompt=P&max_tokens=N&temperature=X&top_k=K&top_p=P&min_p=M&
 * presence_penalty=A&frequency_penalty=B&seed=S:
 * the psql script that generates what the generate panel streams (`gpt2sql sql complete`).
 * The tokens themselves stream from POST /v1/completions (stream: true, logprobs: 5).
 */
export type GenerateSqlResponse = ShownSql;
