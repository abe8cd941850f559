// Entry of a fault worker thread (started by accel/fault/pool.ts with tsx's loader registered): build
// the task handler named by workerData.kind, report ready, then answer tasks one at a time.
import { parentPort, workerData } from 'node:worker_threads';
import { campaignHandler, type CampaignWorkerData } from './campaign.js';
import { serializeError, type TaskHandler } from './pool.js';
import { sweepHandler, type SweepWorkerData } from './sweep.js';

type Data = CampaignWorkerData | SweepWorkerData;

function handlerOf(data: Data): TaskHandler<unknown, unknown, unknown> {
  switch (data.kind) {
    case 'campaign':
      return campaignHandler(data) as TaskHandler<unknown, unknown, unknown>;
    case 'sweep':
      return sweepHandler(data) as TaskHandler<unknown, unknown, unknown>;
  }
}

if (parentPort) {
  const port = parentPort;
  let handler: TaskHandler<unknown, unknown, unknown> | null = null;
  try {
    handler = handlerOf(workerData as Data);
    port.postMessage({ type: 'ready', info: handler.info });
  } catch (err) {
    port.postMessage({ type: 'error', error: serializeError(err) });
  }
  port.on('message', (m: { type: 'run'; task: unknown }) => {
    if (!handler) return;
    try {
      port.postMessage({ type: 'done', result: handler.run(m.task) });
    } catch (err) {
      port.postMessage({ type: 'error', error: serializeError(err) });
    }
  });
}
