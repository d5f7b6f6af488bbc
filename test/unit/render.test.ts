import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runRenderCommand } from '../../src/cli/main';
import { renderSvg } from '../../src/cli/render';
import { serializeSvg, svgNode, textNode } from '../../src/drawing/svg-tree';
import { readExample } from '../support/examples';

/** Opening tags with their attributes, in document order. */
function tags(svg: string, name: string): Record<string, string>[] {
  return [...svg.matchAll(new RegExp(`<${name}((?:\\s+[\\w:-]+="[^"]*")*)\\s*/?>`, 'g'))].map((m) => Object.fromEntries([...m[1].matchAll(/([\w:-]+)="([^"]*)"/g)].map((a) => [a[1], a[2]])));
}

/** The drawn layer/block items: <g class="node …" data-id="…">. */
function drawnNodes(svg: string): Record<string, string>[] {
  return tags(svg, 'g').filter((g) => /^node\b/.test(g.class ?? ''));
}

describe('skipnet render', () => {
  it('resnet20: every layer a node, add merges as ellipses, labels and shapes as the view writes them', async () => {
    const result = await renderSvg(readExample('resnet20.skipnet'), { direction: 'down', expand: 'default', theme: 'print' });
    assert.ok(result.ok);
    const svg = result.svg;
    assert.match(svg, /^<\?xml version="1.0" encoding="UTF-8"\?>\n<svg xmlns="http:\/\/www.w3.org\/2000\/svg" width="\d+" height="\d+" viewBox="-16 -16 \d+ \d+">/);
    const nodes = drawnNodes(svg);
    assert.equal(nodes.length, 78);
    assert.deepEqual(new Set(nodes.map((n) => n['data-id'])), new Set(result.payload.nodes.map((n) => n.id)));
    assert.equal(nodes.filter((n) => n.class.includes('merge-add')).length, 9);
    assert.equal(nodes.filter((n) => n.class.includes('merge-concat')).length, 0);
    // An add node: an ellipse, a "+" sign, its label and "H×W×C · maps".
    const add = /<g class="node kind-add merge-add" data-id="layer2\/basic1\/add1"[^>]*><ellipse class="shape"[^>]*\/><text[^>]*>\+<\/text><text[^>]*>add1<\/text><text[^>]*>16×16×32 · 32 maps<\/text><\/g>/;
    assert.match(svg, add);
    assert.match(svg, /data-id="layer1\/basic1\/conv1"[^>]*><rect class="shape"[^>]*\/><text[^>]*class="label"[^>]*>conv1<\/text>/);
    assert.equal(tags(svg, 'g').filter((g) => g.class === 'group').length, 12);
    assert.equal(tags(svg, 'path').filter((p) => /^edge\b/.test(p.class ?? '')).length, result.payload.edges.length);
    assert.match(svg, /--g-node-fill: #ffffff;/);
    assert.doesNotMatch(svg, /tabindex|id="graph-content"/);
  });

  it('densenet40 fully expanded: concat nodes as bars of provenance segments, dense arcs, no ellipses', async () => {
    const result = await renderSvg(readExample('densenet40.skipnet'), { direction: 'down', expand: 'all', theme: 'print' });
    assert.ok(result.ok);
    const nodes = drawnNodes(result.svg);
    assert.equal(nodes.length, result.payload.nodes.length);
    const concats = result.payload.nodes.filter((n) => n.merge === 'concat');
    assert.equal(concats.length, 36);
    assert.equal(nodes.filter((n) => n.class.includes('merge-concat')).length, 36);
    assert.equal(nodes.filter((n) => n.class.includes('merge-add')).length, 0);
    assert.equal((result.svg.match(/<ellipse/g) ?? []).length, 0);
    // The 12th layer of the first dense block reads the block input and the 11 layers before it.
    const last = concats[11];
    const segments = new RegExp(`data-id="${last.id}"[^>]*><rect class="shape"[^>]*/>(?:<text[^>]*>[^<]*</text>){3}<g class="segments">((?:<rect[^>]*><title>[^<]*</title></rect>)+)</g>`).exec(result.svg);
    assert.ok(segments, 'a segment bar');
    assert.equal((segments[1].match(/<rect/g) ?? []).length, 13);
    assert.ok(tags(result.svg, 'path').filter((p) => p.class === 'edge arc' || p.class?.startsWith('edge arc')).length > 100);
  });

  it('default collapse and left-to-right direction follow the view', async () => {
    const down = await renderSvg(readExample('densenet121.skipnet'), { direction: 'down', expand: 'default', theme: 'dark' });
    assert.ok(down.ok);
    assert.equal(drawnNodes(down.svg).length, 79); // the view's count: layers collapsed, blocks open
    assert.match(down.svg, /--g-bg: #1e1e1e;/);
    const right = await renderSvg(readExample('resnet20.skipnet'), { direction: 'right', expand: 'default', theme: 'print' });
    assert.ok(right.ok);
    const boxes = right.drawing.items;
    assert.ok(boxes.get('dense1')!.box.x > boxes.get('input')!.box.x + 1000, 'left to right');
    assert.ok(right.drawing.width > right.drawing.height);
  });

  it('the command writes the file, and reports bad input with a location and an exit code', async () => {
    const files: Record<string, string> = {};
    const err: string[] = [];
    const io = {
      out: () => undefined,
      err: (line: string) => void err.push(line),
      readFile: (path: string) => (path in files ? files[path] : readExample(path.replace(/^examples\//, ''))),
      writeFile: (path: string, text: string) => void (files[path] = text),
    };
    assert.equal(await runRenderCommand(['render', 'examples/resnet20.skipnet', '-o', 'graph.svg'], io), 0);
    assert.equal(drawnNodes(files['graph.svg']).length, 78);
    assert.match(err.join('\n'), /^wrote graph.svg \(78 nodes, \d+×\d+\)$/);
    files['bad.skipnet'] = 'model m(8x8x3) {\n  conv(4, 3)\n  cnv(2, 1)\n}\n';
    err.length = 0;
    assert.equal(await runRenderCommand(['render', 'bad.skipnet'], io), 1);
    assert.match(err.join('\n'), /bad.skipnet: 1 error; the first, at 3:3: Unknown layer or block 'cnv'/);
    err.length = 0;
    assert.equal(await runRenderCommand(['render', 'examples/resnet20.skipnet', '--direction', 'up'], io), 2);
    assert.match(err[0], /--direction must be down or right, not 'up'/);
    assert.equal(await runRenderCommand(['render', 'examples/resnet20.skipnet', '--model', 'nope'], io), 2);
  });

  it('the SVG writer escapes text and attributes', () => {
    const root = svgNode('g', { 'aria-label': '"><script>' });
    textNode('text', { x: 1 }, '<img src=x onerror=alert(1)> & co', root);
    assert.equal(serializeSvg(root), '<g aria-label="&quot;&gt;&lt;script&gt;"><text x="1">&lt;img src=x onerror=alert(1)&gt; &amp; co</text></g>');
  });
});
