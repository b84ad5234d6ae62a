// The model select, filled from GET /explorer/models: the model the URL names, or the first.

import type { ExplorerModel, ModelsResponse } from './explorer-api.ts';
import { getJson } from './api-client.ts';
import { byId, el, fill } from './dom.ts';

export const modelSelect = () => byId<HTMLSelectElement>('model');

function describe(model: ExplorerModel): string {
  return `${model.n_layer} blocks × ${model.n_head} heads, n_embd ${model.n_embd}, n_ctx ${model.n_ctx}, vocabulary ${model.n_vocab}, kernel ${model.kernel}`;
}

/**
 * Lists the loaded models and selects `wanted` (or the first). Throws when none is loaded or the
 * URL names one that is not: the page can show nothing for it, and the message says what to do.
 */
export async function loadModels(wanted: string | undefined): Promise<void> {
  const { models } = await getJson<ModelsResponse>('/explorer/models');
  const select = modelSelect();
  fill(select, models.map((model) => el('option', { text: model.name, title: describe(model), attrs: { value: model.name } })));
  if (models.length === 0) throw new Error('no model is loaded in this database; load one with gpt2sql load, then reload this page');
  select.value = models.some((model) => model.name === wanted) ? wanted! : models[0].name;
  if (wanted !== undefined && select.value !== wanted) {
    throw new Error(`the link names model "${wanted}", which this database has not loaded; showing ${select.value} instead (loaded: ${models.map((model) => model.name).join(', ')})`);
  }
}
