/**
 * Tied weights in the graph's hover card (`shared(label)`, examples/siamese_mnist.skipnet): a shared
 * application names the owner of its weights and the parameters counted there; the owner names where it is
 * applied again. Counts are the core's (the tower's 105,312 parameters, Bromley et al. 1993's tied towers).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { examplePayload, openWebview, useBrowser, type WebviewPage } from './harness';

const browser = useBrowser();

/** Hovers the item and reads its card once the card is this item's. */
async function card(w: WebviewPage, id: string): Promise<Record<string, string>> {
  await w.page.mouse.move(1, 1);
  await w.page.locator(`#graph [data-id="${id}"]`).hover({ force: true });
  await w.page.waitForFunction((item) => document.querySelector<HTMLElement>('#tooltip.visible')?.dataset.for === item, id);
  return w.page.evaluate(() => Object.fromEntries([...document.querySelectorAll<HTMLElement>('#tooltip .value')].map((v) => [v.dataset.key ?? '', v.textContent ?? ''])));
}

test('siamese_mnist: the hover cards say which tower owns the tied weights, with the real counts', async (t) => {
  const w = await openWebview(browser(), undefined, { width: 1200, height: 1400 });
  await w.init(examplePayload('siamese_mnist'));

  await t.test('layers inside the towers, expanded', async () => {
    const twin = await card(w, 'fb/conv1');
    assert.equal(twin.Parameters, '0');
    assert.equal(twin.Weights, 'shared with fa/conv1: 0 new parameters, 160 counted at fa/conv1');
    const owner = await card(w, 'fa/conv1');
    assert.equal(owner.Parameters, '160');
    assert.equal(owner.Weights, 'applied again at fb/conv1 (tied: counted once, here)');
    // A layer that shares nothing has no Weights row.
    assert.equal((await card(w, 'dense1')).Weights, undefined);
  });

  await t.test('the towers collapsed: fb names fa and its 105,312 parameters', async () => {
    const renders = await w.renderCount();
    await w.page.locator('#graph [data-toggle="fa"]').click();
    await w.waitForRender(renders + 1);
    const again = await w.renderCount();
    await w.page.locator('#graph [data-toggle="fb"]').click();
    await w.waitForRender(again + 1);
    const fb = await card(w, 'fb');
    assert.equal(fb.Parameters, '0');
    assert.equal(fb.Weights, 'shared with fa: 0 new parameters, 105,312 counted at fa');
    const fa = await card(w, 'fa');
    assert.equal(fa.Parameters, '105,312');
    assert.equal(fa.Weights, 'applied again at fb (tied: counted once, here)');
    // The accessible label carries the same words.
    assert.match((await w.page.locator('#graph [data-id="fb"]').getAttribute('aria-label')) ?? '', /Weights: shared with fa: 0 new parameters, 105,312 counted at fa/);
  });
  assert.deepEqual(w.consoleErrors, []);
  await w.page.context().close();
});
