/**
 * The smallest data set a hand computation can follow: 1×1 images of 2 channels, class 0 with pixel 0 bright
 * (200) and pixel 1 dark (20), class 1 the other way round; examples alternate classes, with no noise, and the
 * held-out split equals the training split. Used where a test checks lesion or algebra figures by hand.
 */
export function twoPixelDataset(count: number) {
  const split = () => {
    const labels = new Uint8Array(count);
    const pixels = new Uint8Array(count * 2);
    for (let i = 0; i < count; i++) {
      labels[i] = i % 2;
      pixels[2 * i] = i % 2 === 0 ? 200 : 20;
      pixels[2 * i + 1] = i % 2 === 0 ? 20 : 200;
    }
    return { count, labels, pixels };
  };
  return { name: 'two-pixel', height: 1, width: 1, channels: 2, classes: ['0', '1'], train: split(), test: split() };
}
