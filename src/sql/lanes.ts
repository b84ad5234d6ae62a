/**
 * Lanes: how a scan of weights (linear.sql, linear_parts.sql, logits.sql) computes a stored row's
 * products with several positions at once. Each stored row read gives one output row whose
 * columns y1 … yW are its products with W positions (the lanes). Nothing is made per stored row
 * and position: a row per (row, position) costs more than the product itself (a copy of the
 * activation, a sort and an aggregation per pair), and a batch of W positions then costs W
 * products and one read of the row.
 *
 * The positions' activations are prepared once, before the scan, into one array per lane of the
 * model's position_activation type (lane i of group g is the position numbered W·(g−1) + i − 1,
 * each part of it one element after another). With one group (at most W positions: a step, a
 * batched step, a short prompt) each lane's activation is a value computed before the scan,
 * which PostgreSQL hands to the parallel workers that share it. More positions meet the rows W
 * at a time: for each group, its activations are taken out of the lanes once and the matrix is
 * read again in key order, its rows' products aggregated as they come (nothing sorted). Those
 * scans depend on their group, so they stay in one process (src/engine/workers.ts): reading a
 * matrix once for all groups instead (each row joined to every group, the products sorted by
 * group, the group's activation found again for each row) took mlp c_fc 6.2 ms a group of 8
 * against 3.3 (64 positions, pgvector, EXPLAIN ANALYZE on the benchmark's 2-core machine).
 */
import type { Code, Fill } from './sql.ts';
import { EMPTY, sql } from './sql.ts';

/** The most positions a stored row meets in one output row. */
export const MAX_LANES = 8;

/**
 * `width` lanes; `grouped`: the positions come in several groups of `width` (more of them than
 * MAX_LANES, or a number not known when the statement is written); `shared`: grouped, in a
 * statement whose scans parallel workers share (the *_shared.sql templates: each row read once
 * for every group), else each group reads the rows again, in one process.
 */
export interface Lanes {
  readonly width: number;
  readonly grouped: boolean;
  readonly shared: boolean;
}

/**
 * The lanes of a scan over `count` positions: exactly that many when they fit one output row (a
 * step of one generation has one, a batched step one per generation), else groups of MAX_LANES;
 * also when the count is not known when the statement is written (undefined: the psql scripts,
 * whose recursive generation feeds more positions on every row). `shared`: the statement's scans
 * have parallel workers (workers.ts), which matters only with groups.
 *
 * @example
 * lanesFor(1);             // { width: 1, grouped: false, shared: false }
 * lanesFor(26);            // { width: 8, grouped: true, shared: false }
 * lanesFor(undefined);     // { width: 8, grouped: true, shared: false }
 * lanesFor(26, true);      // { width: 8, grouped: true, shared: true }
 */
export function lanesFor(count?: number, shared = false): Lanes {
  if (count !== undefined && Number.isInteger(count) && count >= 1 && count <= MAX_LANES) return { width: count, grouped: false, shared: false };
  return { width: MAX_LANES, grouped: true, shared };
}

/** A scan's rows, and how a lane's prepared activation becomes its output value. */
export interface LaneScan {
  lanes: Lanes;
  /** The scanned row's key, which the shared form's series of groups depends on (so that each row is read once): `w.col`. */
  key: string;
  /** Parts per stored row (1: whole rows), each meeting the same part of the activation. */
  parts: number;
  /** SQL for the output value of a stored row (or part) with one lane's prepared activation. */
  product(prepared: Code): Code;
  /** What each lane's output vector gets added to each value, by column (the bias), if anything. */
  addend?(column: string): Code;
  /** What each output value (the addend included) becomes, by column, if anything else than itself. */
  output?(value: Code, column: string): Code;
  /** The alias of the products in output order, which the columns aggregate (default `by_column`). */
  ordered?: string;
  /** Each lane's largest value too, found as its vector is made (the logits': what greedy chooses, softmax subtracts). */
  maximum?: boolean;
}

/** The fills of a lane template: the activation's lanes, the groups, each group's activations, the products, the columns and the positions. */
export interface LaneFills {
  width: number;
  lanes: Code;
  groups: Code;
  /** Each group's activations and positions, taken out of the lanes once a group (not in the shared form). */
  group_values?: Code;
  products: Code;
  columns: Code;
  positions: Code;
  /** With groups, the condition that drops the lanes the last group does not fill; nothing without. */
  filled: Code;
  /** linear_parts.sql only: each column's parts summed. */
  sums?: Code;
  [fill: string]: Fill | undefined;
}

/**
 * The fills of linear.sql, linear_parts.sql or logits.sql for `scan`; of their *_shared.sql forms
 * when its lanes are shared (sharedFills).
 *
 * @example
 * laneFills({ lanes: lanesFor(1), key: 'w.col', parts: 1, product: (x) => sql`gpt2sql.dot(w.values, ${x})` });
 */
export function laneFills(scan: LaneScan): LaneFills {
  if (scan.lanes.shared) return sharedFills(scan);
  const { width, grouped } = scan.lanes;
  const parts = Array.from({ length: scan.parts }, (_, p) => p);
  const each = (line: (i: number) => Code) => eachLane(width, line);
  // Where lane i's part p of the group is in its array: the group's first element plus the part.
  const at = (p: number) => (grouped ? (scan.parts > 1 ? `(lanes.g - 1) * ${scan.parts} + ${p + 1}` : 'lanes.g') : `${p + 1}`);
  const name = (i: number, p: number) => (scan.parts > 1 ? `x${i}_${p}` : `x${i}`);
  // Lane i's prepared activation for the stored row (or part) being read. With one group, a value
  // computed once before the scan (an InitPlan, which parallel workers receive); with groups, the
  // group's own, taken out of the lane once (group_values).
  const value = (i: number, p: number) => (grouped ? `lane.${name(i, p)}` : `(SELECT (lane_${i}[${p + 1}]).x FROM activation)`);
  const prepared = (i: number): Code => {
    if (scan.parts === 1) return sql`${value(i, 0)}`;
    return sql`(CASE w.part ${parts.map((p) => `WHEN ${p} THEN ${value(i, p)}`).join(' ')} END)`;
  };
  return {
    width,
    lanes: laneArrays(scan),
    groups: grouped ? sql`generate_series(1, (SELECT groups FROM activation))` : sql`(VALUES (1))`,
    group_values: each((i) => {
      const position = sql`(lane_${i}[${at(0)}]).t AS t${i}`;
      if (!grouped) return position;
      return list([position, ...parts.map((p) => sql`(lane_${i}[${at(p)}]).x AS ${name(i, p)}`)]);
    }),
    products: each((i) => sql`${scan.product(prepared(i))} AS y${i}`),
    columns: columnsOf(scan),
    positions: each((i) => (scan.maximum ? sql`(lane.t${i}, columns.x${i}, columns.m${i})` : sql`(lane.t${i}, columns.x${i})`)),
    filled: grouped ? sql`WHERE position.t IS NOT NULL` : EMPTY,  // a lane the last group does not fill has no position
    ...(scan.parts > 1 ? { sums: each((i) => sql`sum(by_part.y${i}) AS y${i}`) } : {}),
  };
}

/**
 * The fills of linear_shared.sql, linear_parts_shared.sql or logits_shared.sql: every stored row
 * read once for every group (a series of groups for each row), each product finding its group's
 * activation in the lanes, each output row its group's positions.
 */
function sharedFills(scan: LaneScan): LaneFills {
  const { width } = scan.lanes;
  const each = (line: (i: number) => Code) => eachLane(width, line);
  const lane = (i: number) => `(SELECT lane_${i} FROM activation)`;
  const prepared = (i: number): Code => sql`(${lane(i)}[${scan.parts > 1 ? `(lanes.g - 1) * ${scan.parts} + w.part + 1` : 'lanes.g'}]).x`;
  const first = scan.parts > 1 ? `(columns.g - 1) * ${scan.parts} + 1` : 'columns.g';
  return {
    width,
    lanes: laneArrays(scan),
    groups: sql`generate_series(1, CASE WHEN ${scan.key} >= 0 THEN (SELECT groups FROM activation) END)`,
    products: each((i) => sql`${scan.product(prepared(i))} AS y${i}`),
    columns: columnsOf(scan),
    positions: each((i) => {
      const t = sql`(${lane(i)}[${first}]).t`;
      return scan.maximum ? sql`(${t}, columns.x${i}, columns.m${i})` : sql`(${t}, columns.x${i})`;
    }),
    filled: sql`WHERE position.t IS NOT NULL`,  // a lane the last group does not fill has no position
    ...(scan.parts > 1 ? { sums: each((i) => sql`sum(by_part.y${i}) AS y${i}`) } : {}),
  };
}

/** The activation's lane arrays: lane i holds the positions numbered i − 1, i − 1 + W, …, each part one element after another. */
function laneArrays(scan: LaneScan): Code {
  const { width } = scan.lanes;
  const order = scan.parts > 1 ? 'position.n, position.part' : 'position.n';
  return eachLane(width, (i) => {
    const filter = width > 1 ? ` FILTER (WHERE position.n % ${width} = ${i - 1})` : '';
    return sql`array_agg(ROW(position.t, ${scan.parts > 1 ? 'position.part' : '0'}, position.x)::position_activation ORDER BY ${order})${filter} AS lane_${i}`;
  });
}

/** Each lane's output vector, its values in the order they come (plus the addend, then the output's mapping), and with `maximum` the largest. */
function columnsOf(scan: LaneScan): Code {
  const ordered = scan.ordered ?? 'by_column';
  return eachLane(scan.lanes.width, (i) => {
    const sum = scan.addend ? sql`${ordered}.y${i} + ${scan.addend(`${ordered}.col`)}` : sql`${ordered}.y${i}`;
    const value = scan.output ? scan.output(sum, `${ordered}.col`) : sum;
    return scan.maximum ? sql`array_agg(${value}) AS x${i}, max(${value}) AS m${i}` : sql`array_agg(${value}) AS x${i}`;
  });
}

/** `line` for each lane 1 … `width`, one per line. */
function eachLane(width: number, line: (i: number) => Code): Code {
  return list(Array.from({ length: width }, (_, i) => line(i + 1)));
}

/** Items one per line, separated by commas. */
function list(items: Code[]): Code {
  return { kind: 'code', parts: items.flatMap((item, i) => (i === 0 ? [item] : [',\n', item])) };
}
