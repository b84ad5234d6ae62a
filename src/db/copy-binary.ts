/**
 * PostgreSQL's binary COPY format: a fixed header, one tuple per row, a trailer.
 * https://www.postgresql.org/docs/current/sql-copy.html#id-1.9.3.55.9.4
 */

const SIGNATURE = [0x50, 0x47, 0x43, 0x4f, 0x50, 0x59, 0x0a, 0xff, 0x0d, 0x0a, 0x00]; // PGCOPY\n\377\r\n\0

/** Header: signature, flags (0), header extension length (0). */
export const COPY_BINARY_HEADER = Uint8Array.from([...SIGNATURE, 0, 0, 0, 0, 0, 0, 0, 0]);

/** Trailer: a field count of -1. */
export const COPY_BINARY_TRAILER = Uint8Array.from([0xff, 0xff]);

const FLOAT4_OID = 700;

/** One field of a tuple, already encoded (without its length prefix); null is SQL's NULL. */
export type Field = Uint8Array | null;

/** Encodes a tuple: field count, then each field as length + bytes (a NULL: length -1, no bytes). */
export function encodeTuple(fields: readonly Field[]): Uint8Array {
  const size = 2 + fields.reduce((sum, f) => sum + 4 + (f?.length ?? 0), 0);
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  view.setInt16(0, fields.length);
  let at = 2;
  for (const field of fields) {
    view.setInt32(at, field ? field.length : -1);
    if (field) out.set(field, at + 4);
    at += 4 + (field?.length ?? 0);
  }
  return out;
}

/** int4 field. */
export function int4Field(value: number): Field {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setInt32(0, value);
  return out;
}

/** float8 field. */
export function float8Field(value: number): Field {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setFloat64(0, value);
  return out;
}

/**
 * A one-dimensional array field of `length` elements of type `elementOid` (lower bound 1, no
 * NULLs), `elementBytes` bytes after its 20-byte header: the buffer, its view, and where the
 * elements start.
 */
function arrayField(elementOid: number, length: number, elementBytes: number): { out: Uint8Array; view: DataView; at: number } {
  const out = new Uint8Array(20 + elementBytes);
  const view = new DataView(out.buffer);
  view.setInt32(0, 1); // dimensions
  view.setInt32(4, 0); // has NULLs
  view.setInt32(8, elementOid);
  view.setInt32(12, length);
  view.setInt32(16, 1); // lower bound
  return { out, view, at: 20 };
}

/** float4[] field (one dimension, lower bound 1, no NULLs): 8 bytes per element. */
export function float4ArrayField(values: Float32Array): Field {
  const { out, view } = arrayField(FLOAT4_OID, values.length, values.length * 8);
  for (let i = 0, at = 20; i < values.length; i++, at += 8) {
    view.setInt32(at, 4);
    view.setFloat32(at + 4, values[i]);
  }
  return out;
}

/** pgvector `vector` field: dimensions (int16), unused (int16), float4 values. */
export function vectorField(values: Float32Array): Field {
  const out = new Uint8Array(4 + values.length * 4);
  const view = new DataView(out.buffer);
  view.setInt16(0, values.length);
  view.setInt16(2, 0);
  for (let i = 0; i < values.length; i++) view.setFloat32(4 + i * 4, values[i]);
  return out;
}

/** bytea field. */
export function byteaField(bytes: Uint8Array): Field {
  return bytes;
}

/** text field (UTF-8). */
export function textField(text: string): Field {
  return new TextEncoder().encode(text);
}

/** cube's binary form: a header (point bit | dimensions), then the coordinates as float8. */
function cubeBytes(values: ArrayLike<number>, into: DataView, at: number): number {
  into.setUint32(at, (0x80000000 | values.length) >>> 0);
  for (let i = 0; i < values.length; i++) into.setFloat64(at + 4 + i * 8, values[i]);
  return 4 + values.length * 8;
}

/** One cube point of `values` as a field (a sharded model's chunk columns). */
export function cubeField(values: Float32Array): Field {
  const out = new Uint8Array(4 + values.length * 8);
  cubeBytes(values, new DataView(out.buffer), 0);
  return out;
}

/**
 * The cube kernel's stored values as a cube[] field: points of at most `chunk` values, in order.
 * `cubeOid` is the cube type's OID in the target database.
 */
export function cubeArrayField(values: Float32Array, chunk: number, cubeOid: number): Field {
  const chunks: Float32Array[] = [];
  for (let s = 0; s < values.length; s += chunk) chunks.push(values.subarray(s, s + chunk));
  const { out, view, at: first } = arrayField(cubeOid, chunks.length, chunks.reduce((sum, c) => sum + 4 + 4 + c.length * 8, 0));
  let at = first;
  for (const c of chunks) {
    view.setInt32(at, 4 + c.length * 8);
    at += 4 + cubeBytes(c, view, at + 4);
  }
  return out;
}
