/**
 * The explorer page in a real browser (headless Chromium, Debian's), served by `gpt2sql serve`
 * on each test database: what it shows is compared with the trace's tables (through psql) and
 * with the reference implementation.
 */
import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { getEncoding } from 'js-tiktoken';
import type { Browser, Page, Request } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gpt2, softmax } from '../../src/reference/gpt2.ts';
import { completeStatement, completeValues, psqlScript } from '../../src/sql/script.ts';
import { explorerTraceName } from '../../src/trace/explorer-traces.ts';
import { traceSchema } from '../../src/trace/trace-forward-pass.ts';
import { launchChromium } from '../helpers/browser.ts';
import { testDatabases } from '../helpers/databases.ts';
import { expectClose, TRACE_TOLERANCE } from '../helpers/numeric.ts';
import { expectSampledAsReference } from '../helpers/sampled.ts';
import { lensMismatch, referenceViews } from './reference-views.ts';
import { SCREENSHOTS, serveExplorer, type ServedExplorer } from './served-explorer.ts';

/** The page shows GPT-2's tokens as a user sees them: the served model keeps the whole vocabulary. */
const tiktoken = getEncoding('gpt2');
const PROMPT = 'The quick brown fox jumps over the lazy dog because';
const HOSTILE = '<img src=x onerror="window.pwned=1"><script>window.pwned=2</script> & "quotes" \'; DROP TABLE wte; --';

describe.each(testDatabases())('the explorer page in Chromium on $driver', (target) => {
  let served: ServedExplorer;
  let browser: Browser;
  let tolerance: number;

  beforeAll(async () => {
    [served, browser] = await Promise.all([serveExplorer(target), launchChromium()]);
    tolerance = TRACE_TOLERANCE[served.model.kernel];
  });
  afterAll(async () => {
    await browser?.close();
    await served?.stop();
  });

  /** A new page at `query`, failing the test on any script error or dialog (alert() from a hostile prompt). */
  async function open(query: Record<string, string | number>): Promise<Page> {
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    page.on('pageerror', (error) => expect.fail(`the page threw: ${error.message}`));
    page.on('dialog', (dialog) => expect.fail(`the page opened a dialog: ${dialog.message()}`));
    await page.goto(`${served.url}/?${new URLSearchParams(Object.entries(query).map(([k, v]) => [k, String(v)]))}`);
    return page;
  }
  const ready = (page: Page) => page.waitForSelector('body[data-ready="true"]', { timeout: 60_000 });
  const idle = (page: Page, panel: string) => page.waitForSelector(`${panel}:not([aria-busy="true"])`, { timeout: 30_000 });
  const data = (page: Page, selector: string, attribute: string) =>
    page.locator(selector).evaluateAll((elements, name) => elements.map((element) => element.getAttribute(name) ?? ''), attribute);

  it('opens a link and computes its view without a click: tokens, the head of the link against the att table, the logit lens', async () => {
    const page = await open({ model: served.model.name, prompt: PROMPT, block: 1, head: 0 });
    await ready(page);
    const ids = tiktoken.encode(PROMPT);
    expect((await data(page, '#tokens .token', 'data-id')).map(Number)).toEqual(ids);
    expect((await data(page, '#tokens .token', 'data-text')).join('')).toBe(PROMPT);
    expect((await data(page, '#tokens .token', 'data-bytes')).join('')).toBe(Buffer.from(PROMPT).toString('hex'));

    const canvas = page.locator('#head-canvas');
    await expect.poll(() => canvas.getAttribute('data-block')).toBe('1');
    expect(await canvas.getAttribute('data-head')).toBe('0');
    const schema = traceSchema(explorerTraceName(served.model.name, PROMPT));
    const att = await served.query(`SELECT t, s, weight FROM ${schema}.att WHERE block = 1 AND head = 0 ORDER BY t, s`);
    const reference = referenceViews(served.weights, ids);
    const cell = Number(await canvas.getAttribute('data-cell'));
    const origin = { x: Number(await canvas.getAttribute('data-origin-x')), y: Number(await canvas.getAttribute('data-origin-y')) };
    for (const [t, s] of [[0, 0], [3, 1], [ids.length - 1, 2], [ids.length - 1, ids.length - 1], [5, 5]]) {
      await canvas.hover({ position: { x: origin.x + (s + 0.5) * cell, y: origin.y + (t + 0.5) * cell } });
      const readout = page.locator('#head-readout');
      await expect.poll(() => readout.getAttribute('data-t')).toBe(String(t));
      expect(await readout.getAttribute('data-s')).toBe(String(s));
      const shown = Number(await readout.getAttribute('data-weight'));
      const row = att.find(([rowT, rowS]) => Number(rowT) === t && Number(rowS) === s)!;
      expect(shown, `weight at t=${t}, s=${s} as the att table has it`).toBeCloseTo(Number(row[2]), 12);
      expect(Math.abs(shown - reference.att(1, 0)[t][s])).toBeLessThanOrEqual(tolerance);
      expect(await readout.textContent()).toContain(shown.toFixed(4));
    }

    for (let b = 0; b < served.model.n_layer; b++) {
      const cells = page.locator(`#lens tr[data-block="${b}"] td.lens-cell`);
      const tokens = (await data(page, `#lens tr[data-block="${b}"] td.lens-cell`, 'data-token')).map(Number);
      const probs = (await data(page, `#lens tr[data-block="${b}"] td.lens-cell`, 'data-prob')).map(Number);
      const expected = reference.lens(b);
      const shown = tokens.map((token, i) => ({ token, prob: probs[i], logit: expected.logits[token] }));
      expect(lensMismatch(shown, expected, tolerance), `lens of block ${b}`).toBeUndefined();
      expect(await cells.allTextContents()).toHaveLength(5);
    }
    expect(new URL(page.url()).searchParams.get('head')).toBe('0');
    await page.screenshot({ path: join(SCREENSHOTS, `explorer-${target.driver}.png`), fullPage: true });
    if (target.driver === 'pglite') copyFileSync(join(SCREENSHOTS, `explorer-${target.driver}.png`), join(SCREENSHOTS, 'explorer.png'));
    await page.close();
  });

  it('moves the sampling sliders: the database recomputes the candidates, equal to the reference, without a new trace', async () => {
    const page = await open({ model: served.model.name, prompt: PROMPT, temperature: 1, top_k: 0, top_p: 1 });
    await ready(page);
    const schema = traceSchema(explorerTraceName(served.model.name, PROMPT));
    const [[tracedAt]] = await served.query(`SELECT traced_at FROM ${schema}.info`);
    const reference = referenceViews(served.weights, tiktoken.encode(PROMPT));
    for (const [temperature, topK, topP] of [[0.5, 0, 1], [1.5, 4, 1], [1.2, 0, 0.4]]) {
      await page.locator('#temperature').fill(String(temperature));
      await page.locator('#top-k').fill(String(topK));
      await page.locator('#top-p').fill(String(topP));
      const what = `temperature ${temperature}, top_k ${topK}, top_p ${topP}`;
      await expect.poll(() => new URL(page.url()).searchParams.get('top_p')).toBe(String(topP));
      await idle(page, '#next');
      const expected = reference.next(temperature, topK, topP);
      await expect.poll(async () => Number((await data(page, '#next .candidate', 'data-prob'))[0])).toBeCloseTo(expected.probs[(await data(page, '#next .candidate', 'data-token')).map(Number)[0]], 6);
      const tokens = (await data(page, '#next .candidate', 'data-token')).map(Number);
      expectClose((await data(page, '#next .candidate', 'data-prob')).map(Number), tokens.map((token) => expected.probs[token]), tolerance, `${what}: probabilities`);
      expect((await data(page, '#next .candidate', 'data-kept')).map((kept) => kept === 'true'), `${what}: kept`).toEqual(tokens.map((token) => expected.kept.has(token)));
      expectClose((await data(page, '#next .candidate', 'data-kept-prob')).map(Number), tokens.map((token) => expected.kept.get(token) ?? 0), tolerance, `${what}: kept probabilities`);
      expect(await page.locator('#kept-count').textContent()).toContain(String(expected.kept.size));
    }
    expect(await served.query(`SELECT traced_at FROM ${schema}.info`), 'the same trace: no forward pass').toEqual([[tracedAt]]);
    await page.screenshot({ path: join(SCREENSHOTS, `explorer-sliders-${target.driver}.png`), fullPage: true });
    await page.close();
  });

  it('stays busy after a slider moves until the answer for the new settings is drawn: one for older settings is dropped', async () => {
    const page = await open({ model: served.model.name, prompt: PROMPT, temperature: 1, top_k: 0, top_p: 1 });
    await ready(page);
    await idle(page, '#next');
    const forTopK4 = (url: string, topP: string) =>
      url.includes('/explorer/next?') && new URL(url).searchParams.get('top_k') === '4' && new URL(url).searchParams.get('top_p') === topP;
    let releaseOld!: () => void;
    const oldReleased = new Promise<void>((resolve) => (releaseOld = resolve));
    await page.route('**/explorer/next?*', async (route) => {
      if (!forTopK4(route.request().url(), '1')) return route.continue();
      const response = await route.fetch(); // the answer for top_k 4, top_p 1: held until the next move is made
      await oldReleased;
      await route.fulfill({ response }).catch(() => {}); // the page may have given up its request
    });
    const askedOld = page.waitForRequest((request) => forTopK4(request.url(), '1'));
    await page.locator('#top-k').fill('4');
    await askedOld;
    // Each time the panel stops being busy from here on, and the kept count it shows then.
    await page.evaluate(() => {
      const panel = document.getElementById('next')!;
      const log: string[] = ((window as unknown as { nextIdle: string[] }).nextIdle = []);
      new MutationObserver(() => {
        if (panel.getAttribute('aria-busy') !== 'true') log.push(document.getElementById('kept-count')!.textContent ?? '');
      }).observe(panel, { attributes: true, attributeFilter: ['aria-busy'] });
    });
    const oldSettled = new Promise<void>((resolve) => {
      const settled = (request: Request) => forTopK4(request.url(), '1') && resolve();
      page.on('requestfinished', settled);
      page.on('requestfailed', settled);
    });
    const answered = page.waitForResponse((response) => forTopK4(response.url(), '0.4'));
    await page.clock.install();
    await page.clock.pauseAt(Date.now() + 60_000); // the page's timers wait: its debounce holds the move's request
    await page.locator('#top-p').fill('0.4'); // moved before the old answer came
    releaseOld(); // it comes now, while the move's request waits for the slider to rest
    await oldSettled;
    await new Promise((resolve) => setTimeout(resolve, 300)); // time for the page to take it, if it takes it
    await page.clock.runFor(1000); // the slider rests
    await answered;
    await idle(page, '#next');
    const expected = referenceViews(served.weights, tiktoken.encode(PROMPT)).next(1, 4, 0.4);
    const tokens = (await data(page, '#next .candidate', 'data-token')).map(Number);
    expect((await data(page, '#next .candidate', 'data-kept')).map((kept) => kept === 'true')).toEqual(tokens.map((token) => expected.kept.has(token)));
    expect(await page.evaluate(() => (window as unknown as { nextIdle: string[] }).nextIdle), 'idle once, with the new settings\' candidates')
      .toEqual([String(expected.kept.size)]);
    await page.close();
  });

  it('runs a typed prompt; a hostile one stays text and runs nothing', async () => {
    const page = await open({ model: served.model.name });
    await page.locator('#prompt').fill(HOSTILE);
    await page.locator('#run').click();
    await ready(page);
    expect((await data(page, '#tokens .token', 'data-id')).map(Number)).toEqual(tiktoken.encode(HOSTILE));
    expect((await page.locator('#tokens .token .token-text').allTextContents()).join('').replace(/·/g, ' ')).toBe(HOSTILE);
    expect(await page.locator('img, #tokens script, #lens script').count()).toBe(0);
    expect(await page.evaluate(() => (window as unknown as { pwned?: number }).pwned)).toBeUndefined();
    expect(new URL(page.url()).searchParams.get('prompt')).toBe(HOSTILE);
    expect(await page.locator('#tokens-panel pre.sql').textContent()).not.toContain('<img');
    await page.screenshot({ path: join(SCREENSHOTS, `explorer-hostile-${target.driver}.png`), fullPage: true });
    await page.close();
  });

  it('streams a generation equal to the reference, each token with its probability; a click shows the alternatives', async () => {
    const [temperature, seed, maxTokens] = [0.9, 7, 5];
    const page = await open({ model: served.model.name, prompt: PROMPT, temperature, top_k: 0, top_p: 1, seed });
    await ready(page);
    await page.locator('#max-tokens').fill(String(maxTokens));
    await page.locator('#generate-run').click();
    await page.waitForSelector('#generated .generated-token');
    await idle(page, '#generate');
    const ids = tiktoken.encode(PROMPT);
    // The engine's tokens for these options, by the one-statement generation `gpt2sql sql complete`
    // prints (equal to the engine's: test/sql/script.test.ts), through psql; then against the reference.
    const options = { temperature, seed, topK: 0, topP: 1, maxTokens };
    const [[, tokens]] = await served.query(psqlScript(served.model, [], completeStatement(served.model), completeValues(PROMPT, served.model, options)));
    const expected = tokens.replace(/[{}]/g, '').split(',').filter((id) => id !== '').map(Number);
    expectSampledAsReference(served.weights, ids, { ...options, eotId: served.eotId }, expected, served.model.kernel, 'the generation the page streams');
    expect((await data(page, '#generated .generated-token', 'data-text')).join('')).toBe(tiktoken.decode(expected));
    const probs = (await data(page, '#generated .generated-token', 'data-prob')).map(Number);
    const so_far = [...ids];
    const chosen = expected.map((id) => {
      const distribution = softmax(gpt2(served.weights, so_far).at(-1)!);
      so_far.push(id);
      return distribution;
    });
    expectClose(probs, expected.map((id, i) => chosen[i][id]), tolerance, 'each token\'s probability (temperature 1)');

    await page.locator('#generated .generated-token').nth(1).click();
    const alternatives = (await data(page, '#alternatives .alternative', 'data-prob')).map(Number).sort((a, b) => b - a);
    const top = [...chosen[1]].sort((a, b) => b - a).slice(0, 5);
    if (!top.includes(chosen[1][expected[1]])) top.push(chosen[1][expected[1]]); // the chosen token comes too, as OpenAI's top_logprobs has it
    expectClose(alternatives, top, tolerance, 'the alternatives at step 1: the 5 most probable, and the chosen token');
    // The script the panel shows is the same generation: its seed, one generation being a batch of one.
    expect(await page.locator('#generate pre.sql').textContent()).toContain(`'{${seed}}'::bigint[]`);
    await page.screenshot({ path: join(SCREENSHOTS, `explorer-generate-${target.driver}.png`), fullPage: true });
    await page.close();
  });

  it('shows the SQL of every panel, which psql runs to the numbers on the page', async () => {
    const page = await open({ model: served.model.name, prompt: PROMPT, block: 0, head: 1, temperature: 0.8, top_k: 10 });
    await ready(page);
    await expect.poll(() => page.locator('#head-canvas').getAttribute('data-head')).toBe('1');
    for (const panel of ['#tokens-panel', '#attention-panel', '#head-view', '#next', '#lens-panel']) {
      expect(await page.locator(`${panel} details.show-sql pre.sql`).textContent(), panel).toMatch(/SET search_path TO/);
      expect(await page.locator(`${panel} details.show-sql ul.sql-tables li`).count(), panel).toBeGreaterThan(0);
    }
    const nextRows = await served.query((await page.locator('#next details.show-sql pre.sql').textContent())!);
    expect(nextRows.map((row) => Number(row[4])).slice(0, 5)).toEqual((await data(page, '#next .candidate', 'data-prob')).map(Number).slice(0, 5));
    const headRows = await served.query((await page.locator('#head-view details.show-sql pre.sql').textContent())!);
    expect(headRows.length).toBe(tiktoken.encode(PROMPT).length * (tiktoken.encode(PROMPT).length + 1) / 2);
    const lensRows = await served.query((await page.locator('#lens-panel details.show-sql pre.sql').textContent())!);
    expect(lensRows.filter((row) => row[1] === '1').map((row) => Number(row[2]))).toEqual(
      await page.locator('#lens tr[data-block] td.lens-cell[data-rank="1"]').evaluateAll((cells) => cells.map((cell) => Number(cell.getAttribute('data-token')))));
    await page.close();
  });

  it('says what is wrong with a bad link on the page, and keeps serving', async () => {
    const page = await open({ model: 'no_such_model', prompt: 'Hello' });
    await expect.poll(() => page.locator('#error').textContent(), { timeout: 30_000 }).toMatch(/the link names model "no_such_model", which this database has not loaded/);
    await page.close();
    const bad = await open({ model: served.model.name, prompt: PROMPT, block: 9, head: 0 });
    await expect.poll(() => bad.locator('#error').textContent(), { timeout: 30_000 }).toMatch(/block must be an integer from 0 to 1/);
    await bad.close();
    const good = await open({ model: served.model.name, prompt: 'Still serving' });
    await ready(good);
    expect(await good.locator('#error').isVisible()).toBe(false);
    await good.close();
  });
});
