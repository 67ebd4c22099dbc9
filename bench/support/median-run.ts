/**
 * Benchmark runs on this machine vary by ±20% (neighbours' CPU steal, page-cache eviction), so a target is
 * judged on the median of several runs; every run's rate is kept for the report.
 */
export interface RunFigures {
  eventsPerSecond: number;
  peakRssMb: number;
  /** When the figures are the median of several runs: every run's events/s, in run order. */
  runsEventsPerSecond?: number[];
}

/** The run with the median throughput (the lower middle for an even count), every run's rate, and the highest peak RSS. */
export function medianRun<T extends RunFigures>(runs: T[]): T {
  const sorted = [...runs].sort((a, b) => a.eventsPerSecond - b.eventsPerSecond);
  const median = sorted[Math.floor((sorted.length - 1) / 2)];
  return {
    ...median,
    peakRssMb: Math.max(...runs.map((r) => r.peakRssMb)),
    ...(runs.length > 1 ? { runsEventsPerSecond: runs.map((r) => r.eventsPerSecond) } : {}),
  };
}
