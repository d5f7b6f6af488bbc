/**
 * A workspace folder of images (one sub-folder per class, like torchvision's ImageFolder) as an
 * ImageDataset. The extension host reads the files (in a trusted workspace only) and sends their bytes;
 * the browser's own decoders turn them into pixels, scaled to the model's input size. Every fifth image of
 * each class (in name order) is held out for evaluation. For the PyTorch engine the page decodes the folder the same
 * way and sends the host the decoded set (folderDataForHost), so both engines see the same pixels.
 */
import type { Shape } from '../../src/core';
import { analyze } from '../../src/core/analyze';
import { type FolderImage, MAX_FOLDER_DATA_BYTES, type TrainingRun } from '../../src/protocol/messages';
import type { ImageDataset, ImageSplit } from '../../src/train/data';
import { encodeDataset, folderSplit } from '../../src/train/dataset';
import { TrainError } from '../../src/train/model';

function base64Bytes(data: string): Uint8Array<ArrayBuffer> {
  const text = atob(data);
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return bytes;
}

/** The size images are decoded at: the model's H×W×C, or for a flat input the first image's size. */
function targetSize(modelShape: Shape, first: ImageBitmap): { height: number; width: number; channels: number } {
  if (modelShape.length === 3) {
    const [height, width, channels] = modelShape;
    if (channels !== 1 && channels !== 3) throw new TrainError(`The model's input has ${channels} channels; images give 1 (grey) or 3 (RGB).`, 'data');
    return { height, width, channels };
  }
  const size = modelShape[0];
  const pixels = first.width * first.height;
  if (size === pixels || size === pixels * 3) return { height: first.height, width: first.width, channels: size / pixels };
  throw new TrainError(`The model takes ${size} features but the images are ${first.width}×${first.height} (${pixels} or ${pixels * 3} values).`, 'data');
}

export async function decodeFolder(path: string, classes: string[], images: FolderImage[], modelShape: Shape): Promise<ImageDataset> {
  if (classes.length < 2) throw new TrainError(`Data folder '${path}' needs at least two sub-folders (one per class); it has ${classes.length}.`, 'data');
  if (images.length === 0) throw new TrainError(`Data folder '${path}' holds no images.`, 'data');
  const bitmaps: ImageBitmap[] = [];
  try {
    for (const image of images) {
      try {
        bitmaps.push(await createImageBitmap(new Blob([base64Bytes(image.data)])));
      } catch {
        throw new TrainError(`Data folder '${path}': ${image.name} is not an image this browser can decode.`, 'data');
      }
    }
    const { height, width, channels } = targetSize(modelShape, bitmaps[0]);
    const canvas = new OffscreenCanvas(width, height);
    const context = canvas.getContext('2d', { willReadFrequently: true });
    if (!context) throw new TrainError('This webview cannot decode images (no 2D canvas).', 'data');
    const perImage = height * width * channels;
    const { train, test } = folderSplit(images);
    const split = (indices: number[]): ImageSplit => {
      const labels = new Uint8Array(indices.length);
      const pixels = new Uint8Array(indices.length * perImage);
      indices.forEach((index, i) => {
        labels[i] = images[index].label;
        context.clearRect(0, 0, width, height);
        context.drawImage(bitmaps[index], 0, 0, width, height);
        const rgba = context.getImageData(0, 0, width, height).data;
        for (let p = 0; p < width * height; p++) {
          const out = i * perImage + p * channels;
          if (channels === 3) {
            pixels[out] = rgba[4 * p];
            pixels[out + 1] = rgba[4 * p + 1];
            pixels[out + 2] = rgba[4 * p + 2];
          } else pixels[out] = Math.round(0.299 * rgba[4 * p] + 0.587 * rgba[4 * p + 1] + 0.114 * rgba[4 * p + 2]);
        }
      });
      return { count: indices.length, labels, pixels };
    };
    return { name: `folder '${path}'`, height, width, channels, classes: [...classes], train: split(train), test: split(test) };
  } finally {
    for (const bitmap of bitmaps) bitmap.close();
  }
}

/**
 * A folder run on the PyTorch engine: the folder decoded here exactly as for the browser engine (decodeFolder, at the
 * input size of `run`'s model), as the SKND bytes the runner reads (encodeDataset), base64 for a `trainingData`
 * message. Both engines then train on the same pixels, class order and held-out split. Throws a TrainError with the
 * folder's path for images that cannot be decoded or a decoded set larger than MAX_FOLDER_DATA_BYTES.
 */
export async function folderDataForHost(run: TrainingRun): Promise<string> {
  const source = run.dataset;
  if (source.kind !== 'folder') throw new TrainError(`Run of ${run.model}: only a data folder is decoded for the host, not ${source.kind} data.`, 'data');
  const analysis = analyze(run.text);
  const graph = analysis.models.find((m) => m.name === run.model);
  if (!graph) throw new TrainError(`The file declares no model named ${run.model}.`, 'data');
  const dataset = await decodeFolder(source.path, source.classes, source.images, graph.inputShape);
  const image = dataset.height * dataset.width * dataset.channels;
  const size = (dataset.train.count + dataset.test.count) * (1 + image);
  if (size > MAX_FOLDER_DATA_BYTES) {
    const mib = (bytes: number): string => `${Math.ceil(bytes / 1024 / 1024)} MiB`;
    throw new TrainError(`Data folder '${source.path}': decoded at ${dataset.height}×${dataset.width}×${dataset.channels} its images take ${mib(size)}, more than the ${mib(MAX_FOLDER_DATA_BYTES)} the PyTorch engine is sent; use a smaller subset or input.`, 'data');
  }
  const bytes = encodeDataset(dataset);
  // btoa takes a binary string: built in slices, as one call's arguments are limited.
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}
