/**
 * Export of the current drawing as a standalone SVG (src/drawing/standalone.ts, the same document
 * `skipnet render` writes) or as a PNG rendered from that SVG on a canvas.
 */
import type { Drawing } from '../../src/drawing/draw';
import { PRINT_PALETTE, standaloneSvg } from '../../src/drawing/standalone';
import type { ExportTheme } from '../../src/protocol/messages';

/** The palette as the page currently resolves it (the editor theme). */
export function currentPalette(element: Element = document.body): Record<string, string> {
  const style = getComputedStyle(element);
  const palette: Record<string, string> = {};
  for (const name of Object.keys(PRINT_PALETTE)) palette[name] = style.getPropertyValue(name).trim() || PRINT_PALETTE[name];
  return palette;
}

/** The standalone SVG of the drawing on the page, in the print palette or the one the editor theme gives. */
export function buildSvgText(drawing: Drawing, theme: ExportTheme): string {
  return standaloneSvg(drawing, theme === 'print' ? PRINT_PALETTE : currentPalette());
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
