import { describe, expect, it } from 'vitest';
import { defaultModelName, schemaForModel, schemaNamePart } from '../../src/load/model-names.ts';

describe('schemaNamePart', () => {
  it('lower-cases a name and turns anything but letters, digits and underscores into underscores', () => {
    expect(schemaNamePart('model', 'gpt2-medium')).toBe('gpt2_medium');
    expect(schemaNamePart('trace', 'Hello-1.v2')).toBe('hello_1_v2');
    expect(schemaNamePart('model', 'a'.repeat(48))).toBe('a'.repeat(48));
  });

  it('refuses an unusable name, saying what the name is for', () => {
    for (const name of ['', 'no spaces', '-leading', 'a'.repeat(49), 'semi;colon', 'quote"d']) {
      expect(() => schemaNamePart('model', name)).toThrow(`"${name}" is not a usable model name; use up to 48 letters`);
      expect(() => schemaNamePart('trace', name)).toThrow(`"${name}" is not a usable trace name; use up to 48 letters`);
    }
  });
});

describe('schemaForModel', () => {
  it('is the name part, refusing the schemas PostgreSQL and gpt2sql keep for themselves', () => {
    expect(schemaForModel('GPT2-medium')).toBe('gpt2_medium');
    expect(() => schemaForModel('Public')).toThrow('"Public" would use the reserved schema "public"; choose another name with --as NAME');
    expect(() => schemaForModel('pg_toast')).toThrow(/reserved schema "pg_toast"/);
    expect(() => schemaForModel('gpt2 small')).toThrow(/not a usable model name/);
  });
});

describe('defaultModelName', () => {
  it('is the last part of a hub id or directory', () => {
    expect(defaultModelName('openai-community/gpt2-medium')).toBe('gpt2-medium');
    expect(defaultModelName('/models/gpt2/')).toBe('gpt2');
  });
});
