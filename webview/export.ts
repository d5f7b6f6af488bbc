/**
 * Export of the current drawing as a standalone SVG (styles and colours embedded, since VS Code's CSS
 * variables do not exist outside the webview) or as a PNG rendered from that SVG on a canvas.
 */
import type { ExportTheme } from '../src/protocol/messages';

/** The palette variables the graph styles use (see styles.css), with the light print theme's values. */
export const PRINT_PALETTE: Record<string, string> = {
  '--g-bg': '#ffffff',
  '--g-fg': '#1f1f1f',
  '--g-muted': '#5f5f5f',
  '--g-node-fill': '#ffffff',
  '--g-node-stroke': '#6b6b6b',
  '--g-group-fill': '#f6f6f6',
  '--g-group-stroke': '#b0b0b0',
  '--g-edge': '#707070',
  '--g-add': '#c25e00',
  '--g-concat': '#005fb8',
  '--g-dense': '#2e7d32',
  '--g-input': '#7b3fa6',
  '--g-focus': '#005fb8',
  '--g-highlight': '#ffe8a3',
  '--g-error': '#c72e0f',
  '--g-seg-0': '#005fb8',
  '--g-seg-1': '#2e7d32',
  '--g-seg-2': '#b58900',
  '--g-seg-3': '#7b3fa6',
  '--g-seg-4': '#c72e0f',
  '--g-seg-5': '#c25e00',
  '--g-font': 'system-ui, -apple-system, "Segoe UI", sans-serif',
};

/** The palette as the page currently resolves it (the editor theme). */
export function currentPalette(element: Element = document.body): Record<string, string> {
  const style = getComputedStyle(element);
  const palette: Record<string, string> = {};
  for (const name of Object.keys(PRINT_PALETTE)) palette[name] = style.getPropertyValue(name).trim() || PRINT_PALETTE[name];
  return palette;
}

/** Only the graph-content rules of the stylesheet travel with the export. */
function graphRules(css: string): string {
  return css
    .split('}')
    .filter((rule) => rule.includes('.graph-content') || rule.includes('.arrow-head'))
    .map((rule) => `${rule.trim()}}`)
    .join('\n');
}

export function buildSvgText(content: SVGGElement, defs: SVGDefsElement | null, width: number, height: number, css: string, theme: ExportTheme): string {
  const palette = theme === 'print' ? PRINT_PALETTE : currentPalette();
  const margin = 16;
  const doc = document.implementation.createDocument('http://www.w3.org/2000/svg', 'svg', null);
  const svg = doc.documentElement;
  svg.setAttribute('width', String(Math.ceil(width + 2 * margin)));
  svg.setAttribute('height', String(Math.ceil(height + 2 * margin)));
  svg.setAttribute('viewBox', `${-margin} ${-margin} ${Math.ceil(width + 2 * margin)} ${Math.ceil(height + 2 * margin)}`);
  const style = doc.createElementNS('http://www.w3.org/2000/svg', 'style');
  const variables = Object.entries(palette).map(([name, value]) => `${name}: ${value};`).join(' ');
  style.textContent = `svg { ${variables} }\n${graphRules(css)}`;
  svg.appendChild(style);
  if (defs) svg.appendChild(doc.importNode(defs, true));
  const background = doc.createElementNS('http://www.w3.org/2000/svg', 'rect');
  for (const [k, v] of Object.entries({ x: -margin, y: -margin, width: '100%', height: '100%', fill: palette['--g-bg'] })) background.setAttribute(k, String(v));
  background.setAttribute('width', String(Math.ceil(width + 2 * margin)));
  background.setAttribute('height', String(Math.ceil(height + 2 * margin)));
  svg.appendChild(background);
  const copy = doc.importNode(content, true) as SVGGElement;
  copy.removeAttribute('id');
  // Interaction state does not belong in an export.
  for (const element of copy.querySelectorAll('.selected, .highlighted')) element.classList.remove('selected', 'highlighted');
  for (const element of copy.querySelectorAll('[tabindex]')) element.removeAttribute('tabindex');
  svg.appendChild(copy);
  return `<?xml version="1.0" encoding="UTF-8"?>\n${new XMLSerializer().serializeToString(doc)}`;
}

/** Largest canvas side browsers accept comfortably. */
const MAX_CANVAS_SIDE = 16_000;
const MAX_CANVAS_AREA = 120_000_000;

/** Renders the SVG text to a PNG (base64, no data: prefix) at up to 2× scale within canvas limits. */
export async function svgToPngBase64(svgText: string, width: number, height: number): Promise<string> {
  let scale = 2;
  scale = Math.min(scale, MAX_CANVAS_SIDE / width, MAX_CANVAS_SIDE / height, Math.sqrt(MAX_CANVAS_AREA / (width * height)));
  const canvas = document.createElement('canvas');
  canvas.width = Math.max(1, Math.floor(width * scale));
  canvas.height = Math.max(1, Math.floor(height * scale));
  const url = URL.createObjectURL(new Blob([svgText], { type: 'image/svg+xml' }));
  try {
    const image = new Image();
    image.src = url;
    await image.decode();
    const context = canvas.getContext('2d');
    if (!context) throw new Error('no 2D canvas available');
    context.drawImage(image, 0, 0, canvas.width, canvas.height);
  } finally {
    URL.revokeObjectURL(url);
  }
  const dataUrl = canvas.toDataURL('image/png');
  return dataUrl.slice(dataUrl.indexOf(',') + 1);
}
