// The progress display of long commands (nvf, protect, compare): a cli-progress bar on a terminal that
// appears after half a second, and without a terminal (CI, batch jobs, pipes) an optional line on stderr
// every PROGRESS_LINE_SECONDS with the count and an estimate of the time left.
import cliProgress from 'cli-progress';

/** Seconds between progress lines on stderr when there is no terminal (CI, a batch job, a pipe). */
export const PROGRESS_LINE_SECONDS = 30;

/**
 * A progress bar on a terminal that appears after half a second; without a terminal, given `lines`, a line
 * every PROGRESS_LINE_SECONDS with the count and an estimate of the time left.
 */
export function progressBar(stream: NodeJS.WriteStream | undefined, label: string, lines?: (text: string) => void): { update: (done: number, total: number, what?: string) => void; stop: () => void } {
  const started = performance.now();
  let bar: cliProgress.SingleBar | null = null;
  let lastLine = started;
  return {
    update: (done, total, what = '') => {
      const now = performance.now();
      if (!stream && lines && now - lastLine >= PROGRESS_LINE_SECONDS * 1000 && done < total) {
        lastLine = now;
        const left = ((now - started) / 1000 / Math.max(1, done)) * (total - done);
        lines(`${label}: ${done}/${total}${what ? ` (${what})` : ''}, about ${Math.ceil(left)} s left\n`);
      }
      if (!stream || (!bar && now - started < 500)) return;
      if (!bar) {
        bar = new cliProgress.SingleBar({ stream, format: `${label} |{bar}| {value}/{total} {what} ETA {eta}s`, hideCursor: true }, cliProgress.Presets.shades_classic);
        bar.start(total, done, { what });
      } else bar.update(done, { what });
    },
    stop: () => bar?.stop(),
  };
}
