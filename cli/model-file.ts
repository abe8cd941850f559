// Model files as the commands load them: accel/model.ts readModelFile, plus the checks the per-layer
// reports rely on. Layer names key the per-layer tables of `run` and the fault breakdowns of `fault`: two
// layers of one name would be summed into one row (utilisation over 100 %), so they are E186.
import { readModelFile, type Model } from '../accel/model.js';
import { DiagnosticError, msg } from '../hdl/diagnostics.js';

/** E186 when two layers of `model` share a name. */
export function checkLayerNames(model: Model, file: string): void {
  const first = new Map<string, number>();
  model.layers.forEach((layer, k) => {
    const seen = first.get(layer.name);
    if (seen !== undefined) throw new DiagnosticError([msg.duplicateLayer(file, layer.name, seen, k)]);
    first.set(layer.name, k);
  });
}

/** Read and check a model file for a command (E110–E117 from the reader, E186 here). */
export function loadModelFile(file: string): Model {
  const model = readModelFile(file);
  checkLayerNames(model, file);
  return model;
}
