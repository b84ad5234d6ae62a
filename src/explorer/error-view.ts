// The page's one error line (#error) and the API-key field a 401 asks for. An error is shown and
// the rest of the page keeps working: a panel that failed keeps its last picture.

import { ApiFailure, apiKey, setApiKey } from './api-client.ts';
import { byId, isAbort } from './dom.ts';

/**
 * Shows what went wrong; an aborted request (replaced by a newer one, or stopped) is no error.
 * A 401 also opens the API-key field.
 */
export function showError(error: unknown): void {
  if (isAbort(error)) return;
  const box = byId('error');
  box.textContent = error instanceof Error ? error.message : String(error);
  box.hidden = false;
  if (error instanceof ApiFailure && error.status === 401) openKeyForm();
}

export function clearError(): void {
  const box = byId('error');
  box.textContent = '';
  box.hidden = true;
}

function openKeyForm(): void {
  const form = byId('api-key-form');
  form.hidden = false;
  byId<HTMLInputElement>('api-key').focus();
}

/**
 * Wires the API-key form: the key is kept for this tab and `retry` runs again with it (the
 * request that got the 401 would otherwise stay failed).
 */
export function setUpKeyForm(retry: () => void): void {
  const form = byId<HTMLFormElement>('api-key-form');
  const input = byId<HTMLInputElement>('api-key');
  input.value = apiKey() ?? '';
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    setApiKey(input.value.trim());
    form.hidden = true;
    clearError();
    retry();
  });
}
