/**
 * Loads the training runtime (train.js: TensorFlow.js and the engine) into a page, once, as a script
 * carrying the page's nonce (the CSP allows nothing else). Shared by the graph view's training bar and
 * the Compare view's "Train both".
 */
import type { TrainingRuntime } from './runtime-api';

let runtimeLoading: Promise<TrainingRuntime> | null = null;

export function loadRuntime(url: string, nonce: string): Promise<TrainingRuntime> {
  runtimeLoading ??= new Promise<TrainingRuntime>((resolve, reject) => {
    if (window.skipnetTrainingRuntime) return resolve(window.skipnetTrainingRuntime);
    const script = document.createElement('script');
    script.nonce = nonce;
    script.src = url;
    script.addEventListener('load', () => (window.skipnetTrainingRuntime ? resolve(window.skipnetTrainingRuntime) : reject(new Error('train.js did not register the training runtime'))));
    script.addEventListener('error', () => reject(new Error('train.js could not be loaded')));
    document.head.appendChild(script);
  });
  runtimeLoading.catch(() => (runtimeLoading = null));
  return runtimeLoading;
}

