/**
 * Which kernel a server gives: pgvector where the user may create it, else contrib's cube. A
 * superuser may create any extension the server has; another user only a trusted one (cube is,
 * pgvector is not), which is how a server without pgvector is tested on a server that has it: as
 * a user who owns a database but is no superuser.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openCheckpoint } from '../../src/checkpoint/open-checkpoint.ts';
import type { Database } from '../../src/db/database.ts';
import { openDatabase } from '../../src/db/open-database.ts';
import { generate } from '../../src/engine/generate.ts';
import { loadModel } from '../../src/load/load-model.ts';
import { generate as referenceGenerate } from '../../src/reference/generate.ts';
import { loadReferenceWeights } from '../../src/reference/weights.ts';
import { quoteIdent, quoteLiteral } from '../../src/sql/quote.ts';
import { tinyCheckpoint } from '../helpers/checkpoints.ts';
import { testDatabases } from '../helpers/databases.ts';
import { checkpointEotId } from '../helpers/loaded-model.ts';

const CONFIG = { n_layer: 1, n_head: 2, n_embd: 16, n_ctx: 32, seed: 41 };
const PROMPT = [464, 3290, 318];

describe.each(testDatabases().filter((target) => target.driver === 'postgres'))('kernels for a user who is no superuser, on $driver', (target) => {
  const name = `gpt2sql_plain_${process.pid}_${randomBytes(3).toString('hex')}`;
  const password = `pw-${randomBytes(12).toString('hex')}`;
  let admin: Database;
  let db: Database;

  beforeAll(async () => {
    admin = await openDatabase({ db: target.db, migrate: false });
    await admin.exec(`CREATE ROLE ${quoteIdent(name)} LOGIN PASSWORD ${quoteLiteral(password)}`);
    await admin.exec(`CREATE DATABASE ${quoteIdent(name)} OWNER ${quoteIdent(name)}`);
    const url = new URL(target.db);
    url.pathname = `/${name}`;
    url.username = name;
    url.password = password;
    db = await openDatabase({ db: url.toString() });
  });
  afterAll(async () => {
    await db?.close();
    await admin.exec(`DROP DATABASE IF EXISTS ${quoteIdent(name)} WITH (FORCE)`);
    await admin.exec(`DROP ROLE IF EXISTS ${quoteIdent(name)}`);
    await admin.close();
  });

  it('offers the trusted cube and not pgvector, which only a superuser may create', async () => {
    const available = await db.availableExtensions();
    expect(available.has('cube')).toBe(true);
    expect(available.has('vector')).toBe(false);
    // The superuser's view of the same server: pgvector when the server has its files.
    const [files] = await admin.query<{ has: boolean }>("SELECT EXISTS (SELECT FROM pg_available_extensions WHERE name = 'vector') AS has");
    expect((await admin.availableExtensions()).has('vector')).toBe(files.has);
  });

  it('loads with cube when asked for the fastest, refuses pgvector with a way out, and generates as the reference', async () => {
    const dir = await tinyCheckpoint(CONFIG);
    const checkpoint = await openCheckpoint(dir);
    try {
      await expect(loadModel(db, checkpoint, { name: 'refused', source: dir, kernel: 'vector' }))
        .rejects.toThrow(/the kernel "vector" needs the PostgreSQL extension "vector", which this database does not have; use --kernel cube or --kernel array/);
      const model = await loadModel(db, checkpoint, { name: 'plain', source: dir, kernel: 'auto' });
      expect(model.kernel).toBe('cube');
      const weights = await loadReferenceWeights(checkpoint);
      expect((await generate(db, model, PROMPT, { maxTokens: 6 })).tokens).toEqual(referenceGenerate(weights, PROMPT, { maxTokens: 6, eotId: checkpointEotId(checkpoint) }));
    } finally {
      await checkpoint.close();
    }
  });
});
