/**
 * A small Prometheus registry: counters, gauges computed at scrape time, and histograms.
 * Enough for /metrics without a dependency.
 */
type Labels = Record<string, string>;

const key = (labels: Labels) =>
  Object.entries(labels)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k}="${v.replace(/["\\\n]/g, '_')}"`)
    .join(',');

class Counter {
  private values = new Map<string, number>();
  constructor(
    readonly name: string,
    readonly help: string,
  ) {}
  inc(labels: Labels = {}, by = 1): void {
    const k = key(labels);
    this.values.set(k, (this.values.get(k) ?? 0) + by);
  }
  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} counter`];
    for (const [k, v] of this.values) lines.push(`${this.name}${k ? `{${k}}` : ''} ${v}`);
    return lines.join('\n');
  }
}

class Histogram {
  private series = new Map<string, { buckets: number[]; sum: number; count: number }>();
  constructor(
    readonly name: string,
    readonly help: string,
    readonly bounds: number[],
  ) {}
  observe(value: number, labels: Labels = {}): void {
    const k = key(labels);
    let s = this.series.get(k);
    if (!s) {
      s = { buckets: this.bounds.map(() => 0), sum: 0, count: 0 };
      this.series.set(k, s);
    }
    this.bounds.forEach((b, i) => {
      if (value <= b) s.buckets[i] = (s.buckets[i] ?? 0) + 1;
    });
    s.sum += value;
    s.count += 1;
  }
  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} histogram`];
    for (const [k, s] of this.series) {
      const sep = k ? `${k},` : '';
      this.bounds.forEach((b, i) => lines.push(`${this.name}_bucket{${sep}le="${b}"} ${s.buckets[i]}`));
      lines.push(`${this.name}_bucket{${sep}le="+Inf"} ${s.count}`);
      lines.push(`${this.name}_sum${k ? `{${k}}` : ''} ${s.sum}`);
      lines.push(`${this.name}_count${k ? `{${k}}` : ''} ${s.count}`);
    }
    return lines.join('\n');
  }
}

export class Metrics {
  readonly jobsCompleted = new Counter(
    'rolegate_jobs_completed_total',
    'Jobs finished successfully, by kind',
  );
  readonly jobsFailed = new Counter(
    'rolegate_jobs_failed_total',
    'Job runs that failed, by kind and outcome',
  );
  readonly failures = new Counter('rolegate_failures_total', 'Classified failures, by owner and code');
  readonly httpRequests = new Counter('rolegate_http_requests_total', 'HTTP requests, by route and status');
  readonly jobLatency = new Histogram(
    'rolegate_job_latency_seconds',
    'Time from when a job was due to when it finished',
    [0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30, 120, 600],
  );
  private gauges: (() => Promise<string>)[] = [];

  /** Adds text computed at scrape time (queue depth, paused servers). */
  addCollector(collect: () => Promise<string>): void {
    this.gauges.push(collect);
  }

  async render(): Promise<string> {
    const parts = [
      this.jobsCompleted,
      this.jobsFailed,
      this.failures,
      this.httpRequests,
      this.jobLatency,
    ].map((m) => m.render());
    for (const g of this.gauges) parts.push(await g());
    return parts.join('\n') + '\n';
  }
}
