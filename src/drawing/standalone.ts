/**
 * A drawing as a standalone SVG document: styles and colours embedded (VS Code's CSS variables do not
 * exist outside the webview), a background, the arrow marker, and the graph content without the
 * interaction attributes (tabindex). The webview's Export SVG and `skipnet render` both write this.
 */
import { definitions, type Drawing } from './draw';
import { GRAPH_CSS } from './graph-styles';
import { serializeSvg, svgNode, type SvgNode, textNode } from './svg-tree';

/** The palette variables the graph styles use, with the light print theme's values. */
export const PRINT_PALETTE: Record<string, string> = {
  '--g-bg': '#ffffff',
  '--g-fg': '#1f1f1f',
  '--g-muted': '#5f5f5f',
  '--g-node-fill': '#ffffff',
  '--g-node-stroke': '#6b6b6b',
  '--g-group-fill': '#f6f6f6',
  '--g-group-stroke': '#b0b0b0',
  '--g-edge': '#707070',
  // 5:1 on white (WCAG 1.4.3): the add sign is text; #c25e00 reached 4.3:1.
  '--g-add': '#b35300',
  '--g-concat': '#005fb8',
  '--g-dense': '#2e7d32',
  '--g-input': '#7b3fa6',
  '--g-focus': '#005fb8',
  '--g-highlight': '#ffe8a3',
  '--g-highlight-stroke': '#b35300',
  '--g-error': '#c72e0f',
  '--g-seg-0': '#005fb8',
  '--g-seg-1': '#2e7d32',
  '--g-seg-2': '#b58900',
  '--g-seg-3': '#7b3fa6',
  '--g-seg-4': '#c72e0f',
  '--g-seg-5': '#c25e00',
  '--g-font': 'system-ui, -apple-system, "Segoe UI", sans-serif',
};

/** The dark palette (VS Code's Dark Modern defaults) for `skipnet render --theme dark`. */
export const DARK_PALETTE: Record<string, string> = {
  ...PRINT_PALETTE,
  '--g-bg': '#1e1e1e',
  '--g-fg': '#d4d4d4',
  '--g-muted': '#9d9d9d',
  '--g-node-fill': '#252526',
  '--g-node-stroke': '#6b6b6b',
  '--g-group-fill': '#2a2a2b',
  '--g-group-stroke': '#5a5a5a',
  '--g-edge': '#858585',
  '--g-add': '#d18616',
  '--g-concat': '#3794ff',
  '--g-dense': '#89d185',
  '--g-input': '#b180d7',
};

const MARGIN = 16;

/** The document tree: <svg> with <style>, <defs>, a background and the content. */
export function standaloneTree(drawing: Drawing, palette: Record<string, string>): SvgNode {
  const outerWidth = Math.ceil(drawing.width + 2 * MARGIN);
  const outerHeight = Math.ceil(drawing.height + 2 * MARGIN);
  const svg = svgNode('svg', { width: outerWidth, height: outerHeight, viewBox: `${-MARGIN} ${-MARGIN} ${outerWidth} ${outerHeight}` });
  const variables = Object.entries(palette).map(([name, value]) => `${name}: ${value};`).join(' ');
  textNode('style', {}, `svg { ${variables} }\n${GRAPH_CSS}`, svg);
  svg.children.push(definitions());
  svgNode('rect', { x: -MARGIN, y: -MARGIN, width: outerWidth, height: outerHeight, fill: palette['--g-bg'] }, svg);
  // The page's copy carries an id (the minimap <use>s it); an export does not.
  svg.children.push(withoutControls({ ...drawing.content, attributes: drawing.content.attributes.filter(([name]) => name !== 'id') }));
  return svg;
}

/** The tree without the view's controls (the blocks' +/− toggles): a picture has nothing to click. */
function withoutControls(node: SvgNode): SvgNode {
  const isControl = (child: SvgNode): boolean => child.attributes.some(([name, value]) => name === 'class' && value.split(' ').includes('toggle'));
  return { ...node, children: node.children.filter((child) => !isControl(child)).map(withoutControls) };
}

export function standaloneSvg(drawing: Drawing, palette: Record<string, string> = PRINT_PALETTE): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n${serializeSvg(standaloneTree(drawing, palette), { namespace: true, omit: (name) => name === 'tabindex' })}\n`;
}
