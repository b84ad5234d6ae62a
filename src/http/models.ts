import type { ModelRow } from '../db/catalog-tables.ts';
import type { Database } from '../db/database.ts';
import { listModels } from '../engine/model.ts';
import type { ApiCall } from './api-call.ts';
import { ApiError } from './api-error.ts';
import { sendJson } from './respond.ts';

/** A loaded model as OpenAI's model object, with its hyperparameters under `meta` (as llama.cpp's server adds them). */
function modelObject(model: ModelRow) {
  return {
    id: model.name,
    object: 'model' as const,
    created: Math.floor(model.loaded_at.getTime() / 1000),
    owned_by: 'gpt2sql',
    meta: {
      n_layer: model.n_layer, n_head: model.n_head, n_embd: model.n_embd, n_ctx: model.n_ctx, n_vocab: model.vocab_size,
      kernel: model.kernel, dtype: model.dtype, source: model.source,
    },
  };
}

/**
 * GET /v1/models: every loaded model.
 *
 * @example
 * // curl http://127.0.0.1:8080/v1/models → {"object":"list","data":[{"id":"gpt2","object":"model",…,"meta":{"n_ctx":1024,…}}]}
 */
export async function getModels(call: ApiCall): Promise<void> {
  const models = await listModels(call.backend.db);
  sendJson(call.response, 200, { object: 'list', data: models.map(modelObject) });
}

/**
 * GET /v1/models/{model}: one loaded model, or 404.
 *
 * @example
 * // curl http://127.0.0.1:8080/v1/models/gpt2 → {"id":"gpt2","object":"model",…}
 */
export async function getModel(call: ApiCall): Promise<void> {
  sendJson(call.response, 200, modelObject(await findApiModel(call.backend.db, call.params[0])));
}

/**
 * The loaded model called `name`, or a 404 (code model_not_found) that lists the loaded ones.
 *
 * @example
 * const model = await findApiModel(db, 'gpt2');
 */
export async function findApiModel(db: Database, name: string, param = 'model'): Promise<ModelRow> {
  const models = await listModels(db);
  const model = models.find((row) => row.name === name);
  if (model) return model;
  const loaded = models.length ? `loaded: ${models.map((row) => row.name).join(', ')}` : 'no model is loaded yet; load one with gpt2sql load';
  throw new ApiError(404, `model "${name}" is not loaded (${loaded}); GET /v1/models lists them`, { param, code: 'model_not_found' });
}
