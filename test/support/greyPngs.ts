// A small image folder made by a browser's own PNG encoder, for the data-folder tests of both engines (webview and
// end to end): lossless, so the grey a test decodes is the grey drawn here.
import type { Page } from 'playwright-core';

/** One PNG of the folder: its class index, its path in the folder (`dark/3.png`) and its bytes in base64. */
export interface GreyPng {
  label: number;
  name: string;
  data: string;
}

/** The grey (0–255) of image `i` (0–9) of class `label`: class 0 `dark` is 20 + 3i, class 1 `light` 220 − 3i. */
export const greyOf = (label: number, i: number): number => (label === 0 ? 20 + i * 3 : 220 - i * 3);

/**
 * Twenty 8×8 one-grey PNGs encoded in `page` (OffscreenCanvas.convertToBlob): ten of class `dark`, ten of class
 * `light`, named `dark/0.png` … `light/9.png`, with greys greyOf(label, i). The page may be any page, CSP included:
 * the function runs in the page without eval.
 */
export async function greyPngs(page: Page): Promise<GreyPng[]> {
  return page.evaluate(async () => {
    const out: { label: number; name: string; data: string }[] = [];
    for (let label = 0; label < 2; label++) {
      for (let i = 0; i < 10; i++) {
        const canvas = new OffscreenCanvas(8, 8);
        const context = canvas.getContext('2d')!;
        // greyOf, inlined: the function runs in the page, which cannot see this module.
        const value = label === 0 ? 20 + i * 3 : 220 - i * 3;
        context.fillStyle = `rgb(${value},${value},${value})`;
        context.fillRect(0, 0, 8, 8);
        const bytes = new Uint8Array(await (await canvas.convertToBlob({ type: 'image/png' })).arrayBuffer());
        out.push({ label, name: `${label === 0 ? 'dark' : 'light'}/${i}.png`, data: btoa(String.fromCharCode(...bytes)) });
      }
    }
    return out;
  });
}
