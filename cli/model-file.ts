// Model files as the commands load them: accel/model.ts readModelFile, which checks the file (E110–E117) and
// the model (validateModel), including the layer names the per-layer reports rely on: `run`'s layer tables and
// `fault`'s breakdowns are keyed by name, so two layers of one name are E186.
import { readModelFile, type Model } from '../accel/model.js';

/** Read and check a model file for a command (E110–E117, E186). */
export function loadModelFile(file: string): Model {
  return readModelFile(file);
}
