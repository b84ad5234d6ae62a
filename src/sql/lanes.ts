/**
 * Lanes: how a scan of weights (linear.sql, linear_parts.sql, logits.sql) computes a stored row's
 * products with several positions at once. Each stored row is read once and gives one output row
 * whose columns y1 … yW are its products with W positions (the lanes); more positions than W
 * meet the row W at a time, one output row per group. Nothing is made per stored row and
 * position: a row per (row, position) costs more than the product itself (a copy of the
 * activation, a sort and an aggregation per pair), and a batch of W positions then costs W
 * products and one read of the row.
 *
 * The positions' activations are prepared once, before the scan, into one array per lane of the
 * model's position_activation type (lane i of group g is the position numbered W·(g−1) + i − 1,
 * each part of it one element after another): uncorrelated values that PostgreSQL hands to the
 * parallel workers sharing the scan.
 */
import type { Code, Fill } from './sql.ts';
import { EMPTY, sql } from './sql.ts';

/** The most positions a stored row meets in one output row. */
export const MAX_LANES = 8;

/**
 * `width` lanes; `grouped`: the positions come in several groups of `width` (more of them than
 * MAX_LANES, or a number not known when the statement is written).
 */
export interface Lanes {
  readonly width: number;
  readonly grouped: boolean;
}

/**
 * The lanes of a scan over `count` positions: exactly that many when they fit one output row (a
 * step of one generation has one, a batched step one per generation), else groups of MAX_LANES;
 * also when the count is not known when the statement is written (undefined: the psql scripts,
 * whose recursive generation feeds more positions on every row).
 *
 * @example
 * lanesFor(1);         // { width: 1, grouped: false }
 * lanesFor(26);        // { width: 8, grouped: true }
 * lanesFor(undefined); // { width: 8, grouped: true }
 */
export function lanesFor(count?: number): Lanes {
  if (count !== undefined && Number.isInteger(count) && count >= 1 && count <= MAX_LANES) return { width: count, grouped: false };
  return { width: MAX_LANES, grouped: true };
}

/** A scan's rows, and how a lane's prepared activation becomes its output value. */
export interface LaneScan {
  lanes: Lanes;
  /** The scanned row's key, which the groups' series depends on (so that each row is read once): `w.col`. */
  key: string;
  /** Parts per stored row (1: whole rows), each meeting the same part of the activation. */
  parts: number;
  /** SQL for the output value of a stored row (or part) with one lane's prepared activation. */
  product(prepared: Code): Code;
  /** What each lane's output vector gets added to each value, by column (the bias), if anything. */
  addend?(column: string): Code;
  /** The alias of the products in output order, which the columns aggregate (default `by_column`). */
  ordered?: string;
  /** Each lane's largest value too, found as its vector is made (the logits': what greedy chooses, softmax subtracts). */
  maximum?: boolean;
}

/** The fills of a lane template: the activation's lanes, the groups, the products, the columns and the positions. */
export interface LaneFills {
  width: number;
  lanes: Code;
  groups: Code;
  products: Code;
  columns: Code;
  positions: Code;
  /** The output row's group: the alias's column with groups, 1 with one group. */
  group: Code;
  /** With groups, GROUP BY the group; with one, nothing: one aggregate over the rows in the order they are read. */
  grouping: Code;
  /** With groups, the condition that drops the lanes the last group does not fill; nothing without. */
  filled: Code;
  /** linear_parts.sql only: each column's parts summed. */
  sums?: Code;
  [fill: string]: Fill | undefined;
}

/**
 * The fills of linear.sql, linear_parts.sql or logits.sql for `scan`.
 *
 * @example
 * laneFills({ lanes: lanesFor(1), key: 'w.col', parts: 1, product: (x) => sql`gpt2sql.dot(w.values, ${x})` });
 */
export function laneFills(scan: LaneScan): LaneFills {
  const { width, grouped } = scan.lanes;
  const each = (line: (i: number) => Code) => list(Array.from({ length: width }, (_, i) => line(i + 1)));
  const lane = (i: number) => `(SELECT lane_${i} FROM activation)`;
  // Lane i's prepared activation for the stored row (or part) being read. With one group, each is
  // a value computed once before the scan (one per part); with groups, found by the row's group.
  const prepared = (i: number): Code => {
    if (grouped) return sql`(${lane(i)}[${scan.parts > 1 ? `(lanes.g - 1) * ${scan.parts} + w.part + 1` : 'lanes.g'}]).x`;
    if (scan.parts === 1) return sql`(SELECT (lane_${i}[1]).x FROM activation)`;
    const byPart = Array.from({ length: scan.parts }, (_, p) => `WHEN ${p} THEN (SELECT (lane_${i}[${p + 1}]).x FROM activation)`);
    return sql`(CASE w.part ${byPart.join(' ')} END)`;
  };
  const first = scan.parts > 1 ? `(columns.g - 1) * ${scan.parts} + 1` : 'columns.g';
  const order = scan.parts > 1 ? 'position.n, position.part' : 'position.n';
  const part = scan.parts > 1 ? 'position.part' : '0';
  const ordered = scan.ordered ?? 'by_column';
  return {
    width,
    lanes: each((i) => {
      const filter = width > 1 ? ` FILTER (WHERE position.n % ${width} = ${i - 1})` : '';
      return sql`array_agg(ROW(position.t, ${part}, position.x)::position_activation ORDER BY ${order})${filter} AS lane_${i}`;
    }),
    groups: grouped
      ? sql`generate_series(1, CASE WHEN ${scan.key} >= 0 THEN (SELECT groups FROM activation) END)`
      : sql`(VALUES (1))`,
    products: each((i) => sql`${scan.product(prepared(i))} AS y${i}`),
    columns: each((i) => {
      const value = scan.addend ? sql`${ordered}.y${i} + ${scan.addend(`${ordered}.col`)}` : sql`${ordered}.y${i}`;
      return scan.maximum ? sql`array_agg(${value}) AS x${i}, max(${value}) AS m${i}` : sql`array_agg(${value}) AS x${i}`;
    }),
    // Each lane's position: with one group, a value computed once; with groups, found by the group.
    positions: each((i) => {
      const t = grouped ? sql`(${lane(i)}[${first}]).t` : sql`(SELECT (lane_${i}[1]).t FROM activation)`;
      return scan.maximum ? sql`(${t}, columns.x${i}, columns.m${i})` : sql`(${t}, columns.x${i})`;
    }),
    // With one group the aggregate needs no GROUP BY: PostgreSQL would sort (or hash) the rows by a
    // group it cannot tell is always 1, and a batch's 50,257 logit rows spill that sort to disk.
    group: grouped ? sql`${ordered}.g` : sql`1 AS g`,
    grouping: grouped ? sql`GROUP BY ${ordered}.g` : EMPTY,
    filled: grouped ? sql`WHERE position.t IS NOT NULL` : EMPTY,  // a lane the last group does not fill has no position
    ...(scan.parts > 1 ? { sums: each((i) => sql`sum(by_part.y${i}) AS y${i}`) } : {}),
  };
}

/** Items one per line, separated by commas. */
function list(items: Code[]): Code {
  return { kind: 'code', parts: items.flatMap((item, i) => (i === 0 ? [item] : [',\n', item])) };
}
