// A model that is not loaded, asked for through the library: a ModelNotLoadedError (exported by
// the package) that names the model and lists the loaded ones (the catalog read here, around the call).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Gpt2Sql } from '../../src/api/gpt2sql.ts';
import { ModelNotLoadedError } from '../../src/index.ts';
import { testDatabases, uniqueModelName } from '../helpers/databases.ts';

describe.each(testDatabases())('a model that is not loaded, on $driver', (target) => {
  let gpt2: Gpt2Sql;
  beforeAll(async () => {
    gpt2 = new Gpt2Sql(await target.open());
  });
  afterAll(async () => {
    await gpt2.close();
  });

  it('is a ModelNotLoadedError naming it and the loaded models, from every call that takes a model', async () => {
    const missing = uniqueModelName('missing');
    const catalog = async () => (await gpt2.db.query<{ name: string }>('SELECT name FROM gpt2sql.models')).map((row) => row.name);
    for (const call of [() => gpt2.model(missing), () => gpt2.complete('Hello', { model: missing }), () => gpt2.tokenize('Hello', { model: missing })]) {
      const before = await catalog();
      const error = await call().then(() => undefined, (thrown: unknown) => thrown);
      const after = await catalog(); // the server's catalog is shared with test files running beside this one
      expect(error).toBeInstanceOf(ModelNotLoadedError);
      expect(error).toMatchObject({ model: missing });
      expect((error as Error).message).toMatch(/^model "[^"]+" is not loaded \((loaded models: .+|no model is loaded yet)\); load it with: gpt2sql load SOURCE --as \S+$/);
      const [, list] = (error as Error).message.match(/^model "[^"]+" is not loaded \((?:loaded models: (.+)|no model is loaded yet)\); load it with: gpt2sql load SOURCE --as (\S+)$/) ?? [];
      expect((error as Error).message).toContain(`--as ${missing}`);
      const listed = list ? list.split(', ') : [];
      for (const name of before.filter((name) => after.includes(name))) expect(listed).toContain(name);
      for (const name of listed) expect([...before, ...after]).toContain(name);
    }
  });
});
