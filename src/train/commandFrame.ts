/**
 * The frame every tfjs CLI command shares (train, lesion, algebra): the same exit codes and the same one-line
 * messages, so a script calling `skipnet` can tell a model it cannot use from a backend that did not start.
 */
import { TrainError } from './errors';

/**
 * Starts the backend with `start`, then runs `body` and returns its exit code.
 * - 2, with `skipnet: <reason>` on `err`, when the backend does not start (e.g. wasm files missing);
 * - 1, with `skipnet: <message>`, when `body` throws a TrainError (the model, its weights or its data cannot be used);
 * - any other error propagates: it is a fault, not bad input.
 */
export async function runOnBackend(start: () => Promise<void>, err: (line: string) => void, body: () => Promise<number>): Promise<number> {
  try {
    await start();
  } catch (error) {
    err(`skipnet: ${error instanceof Error ? error.message : String(error)}`);
    return 2;
  }
  try {
    return await body();
  } catch (error) {
    if (error instanceof TrainError) {
      err(`skipnet: ${error.message}`);
      return 1;
    }
    throw error;
  }
}
