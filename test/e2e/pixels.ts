// Pixel statistics of a screenshot, decoded by the browser itself (createImageBitmap on a Blob, so no
// PNG decoder in the test and no image URL that a page's CSP could refuse).
import type { Page } from 'playwright-core';

export interface PixelStatistics {
  width: number;
  height: number;
  /** Variance of the grey level over all pixels: about 0 for a blank, single-colour image. */
  greyVariance: number;
  /** Share (0..1) of pixels whose colour differs from the top-left pixel (the background) by more than 24 levels. */
  inkFraction: number;
}

export async function pixelStatistics(page: Page, png: Buffer): Promise<PixelStatistics> {
  return page.evaluate(async (base64) => {
    const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
    const bitmap = await createImageBitmap(new Blob([bytes], { type: 'image/png' }));
    const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
    const context = canvas.getContext('2d');
    if (!context) throw new Error('no 2d context for an OffscreenCanvas');
    context.drawImage(bitmap, 0, 0);
    const data = context.getImageData(0, 0, bitmap.width, bitmap.height).data;
    const [r0, g0, b0] = [data[0], data[1], data[2]];
    let sum = 0;
    let sumSq = 0;
    let ink = 0;
    const n = data.length / 4;
    for (let i = 0; i < data.length; i += 4) {
      const grey = (data[i] + data[i + 1] + data[i + 2]) / 3;
      sum += grey;
      sumSq += grey * grey;
      if (Math.abs(data[i] - r0) + Math.abs(data[i + 1] - g0) + Math.abs(data[i + 2] - b0) > 24) ink++;
    }
    return { width: bitmap.width, height: bitmap.height, greyVariance: sumSq / n - (sum / n) ** 2, inkFraction: ink / n };
  }, png.toString('base64'));
}
