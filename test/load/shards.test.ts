/** A shard's URL and its postgres_fdw options, both ways, and the names of its parts (src/sql/sharding.ts). */
import { describe, expect, it } from 'vitest';
import { connectionOptions, urlOfOptions } from '../../src/load/shards.ts';
import { replacedSchema, shardName, shardNamePattern, shardPartition } from '../../src/sql/sharding.ts';

describe('shards', () => {
  it('writes a URL as the server\'s and user mapping\'s options and reads it back, escapes included', () => {
    const url = new URL('postgres://us%40er:p%3Ass%2Fw@db.example:5433/we%20ights');
    const { server, mapping } = connectionOptions(url);
    expect(server).toEqual([['host', 'db.example'], ['port', '5433'], ['dbname', 'we ights']]);
    expect(mapping).toEqual([['user', 'us@er'], ['password', 'p:ss/w']]);
    const back = urlOfOptions([...server, ...mapping].map(([key, value]) => `${key}=${value}`));
    expect(back.toString()).toBe(url.toString());
    expect(urlOfOptions(connectionOptions(new URL('postgres://h/d')).server.map(([k, v]) => `${k}=${v}`)).toString()).toBe('postgres://h:5432/d');
  });

  it('names every part of a sharded model from the model\'s schema', () => {
    expect(shardName('gpt2', 1)).toBe('gpt2__shard_1');
    expect(shardPartition('c_attn_w', 0)).toBe('c_attn_w__shard_0');
    expect(replacedSchema('gpt2__shard_1')).toBe('gpt2__shard_1__replaced');
    const pattern = new RegExp(shardNamePattern('gpt2'));
    expect(['gpt2__shard_0', 'gpt2__shard_12'].every((name) => pattern.test(name))).toBe(true);
    expect(['gpt2x__shard_0', 'gpt2__shard_', 'gpt2__shard_1__replaced'].some((name) => pattern.test(name))).toBe(false);
  });
});
