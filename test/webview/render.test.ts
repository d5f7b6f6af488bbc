/**
 * `skipnet render` (elkjs in Node) against the graph webview (elkjs in a worker): for the same payload
 * the CLI's SVG draws the same node set as the page, and equals the page's Export SVG.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { renderSvg } from '../../src/cli/render';
import { DOC_URI, useBrowser, openWebview } from './harness';

const browser = useBrowser();

/** The element structure: one line per opening tag with its class, data-id and first text, in order. */
function structure(svg: string): string[] {
  const body = svg.slice(svg.indexOf('<g class="graph-content"'));
  return [...body.matchAll(/<([a-z]+)((?:\s+[\w:-]+="[^"]*")*)\s*(\/?)>([^<]*)/g)].map((m) => {
    const attributes = Object.fromEntries([...m[2].matchAll(/([\w:-]+)="([^"]*)"/g)].map((a) => [a[1], a[2]]));
    return [m[1], attributes.class ?? '', attributes['data-id'] ?? attributes['data-group'] ?? '', m[4]].join('|');
  });
}

for (const [example, direction] of [
  ['resnet20', 'down'],
  ['densenet40', 'right'],
] as const) {
  test(`${example} (${direction}): the CLI's SVG draws what the webview draws`, async () => {
    const cli = await renderSvg(readFileSync(`examples/${example}.skipnet`, 'utf8'), { direction, expand: 'default', theme: 'print' });
    assert.ok(cli.ok);
    const w = await openWebview(browser());
    await w.init(cli.payload, 1, direction);
    const drawn = await w.page.$$eval('#graph .nodes .node', (nodes) => nodes.map((n) => n.getAttribute('data-id')));
    const cliIds = [...cli.svg.matchAll(/<g class="node [^"]*" data-id="([^"]*)"/g)].map((m) => m[1]);
    assert.ok(drawn.length > 40);
    assert.deepEqual(cliIds, drawn);
    await w.send({ type: 'exportRequest', uri: DOC_URI, version: 1, requestId: 3, format: 'svg', theme: 'print' });
    await w.page.waitForFunction(() => window.__posted.some((m) => (m as { type: string }).type === 'exportResult'));
    const exported = (await w.posted()).find((m) => m.type === 'exportResult');
    assert.ok(exported && exported.type === 'exportResult');
    const page = structure(exported.data);
    assert.ok(page.length > 500);
    assert.deepEqual(structure(cli.svg), page);
    // Same layout options and the same ELK build in Node and in the worker: even the coordinates agree.
    assert.equal(cli.svg, exported.data, 'the CLI file and the page export are byte for byte equal');
    await w.page.context().close();
  });
}
