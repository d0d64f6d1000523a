import type { LatenessHistogram } from '../model/ha-status.js';
import type { Histogram } from './histogram.js';

/** A label value in the exposition format: backslash, double quote and newline escaped. */
export function escapeLabel(value: string): string {
  // Most values (addresses, labels, ports) need nothing: one test instead of three replaces
  // per value, for the hundreds of thousands of samples of a large table.
  if (!NEEDS_ESCAPE.test(value)) return value;
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

const NEEDS_ESCAPE = /[\\"\n]/;

export type Labels = Record<string, string>;
type MetricType = 'gauge' | 'counter' | 'histogram';

/**
 * A label set rendered once (`{a="x",b="y"}`, or '' for none): a real server's labels are
 * the same on each of its dozen samples, and rendering them once per server rather than
 * once per sample halves what a scrape of a large table allocates.
 */
export class LabelText {
  private constructor(readonly text: string) {}

  static of(labels: Labels): LabelText {
    let text = '';
    for (const key in labels) text += `${text === '' ? '' : ','}${key}="${escapeLabel(labels[key] as string)}"`;
    return new LabelText(text === '' ? '' : `{${text}}`);
  }

  /** These labels and one more (a state set's `state`, a bucket's `le`). */
  with(key: string, value: string): LabelText {
    const pair = `${key}="${escapeLabel(value)}"`;
    return new LabelText(this.text === '' ? `{${pair}}` : `${this.text.slice(0, -1)},${pair}}`);
  }
}

const labelText = (labels: Labels | LabelText): string =>
  labels instanceof LabelText ? labels.text : LabelText.of(labels).text;

function valueText(value: number): string {
  if (Number.isFinite(value)) return String(value);
  if (Number.isNaN(value)) return 'NaN';
  return value > 0 ? '+Inf' : '-Inf';
}

/**
 * Prometheus text format 0.0.4: each family's HELP and TYPE once, then all its samples
 * together (the format wants a family's samples in one group, whatever order they are added in).
 */
export class Exposition {
  private readonly families = new Map<string, { help: string; type: MetricType; samples: string[] }>();

  add(name: string, type: 'gauge' | 'counter', help: string, labels: Labels | LabelText, value: number): void {
    this.sample(name, type, help, name, labels, value);
  }

  /** A histogram in seconds from one in milliseconds: `_bucket{le}` (cumulative, then +Inf), `_sum`, `_count`. */
  histogram(name: string, help: string, labels: Labels, ms: LatenessHistogram): void {
    ms.bounds.forEach((bound, i) => {
      this.sample(
        name,
        'histogram',
        help,
        `${name}_bucket`,
        { ...labels, le: String(bound / 1000) },
        ms.buckets[i] ?? 0,
      );
    });
    this.sample(name, 'histogram', help, `${name}_bucket`, { ...labels, le: '+Inf' }, ms.count);
    this.sample(name, 'histogram', help, `${name}_sum`, labels, ms.sumMs / 1000);
    this.sample(name, 'histogram', help, `${name}_count`, labels, ms.count);
  }

  /** A histogram recorded in the unit it is exposed in (seconds). */
  recorded(name: string, help: string, labels: Labels, h: Histogram): void {
    let cumulative = 0;
    h.bounds.forEach((bound, i) => {
      cumulative += h.counts[i] ?? 0;
      this.sample(name, 'histogram', help, `${name}_bucket`, { ...labels, le: String(bound) }, cumulative);
    });
    this.sample(name, 'histogram', help, `${name}_bucket`, { ...labels, le: '+Inf' }, h.count);
    this.sample(name, 'histogram', help, `${name}_sum`, labels, h.sum);
    this.sample(name, 'histogram', help, `${name}_count`, labels, h.count);
  }

  /** Names a family with no samples yet, so that it is listed (HELP and TYPE) even when empty. */
  declare(name: string, type: MetricType, help: string): void {
    if (!this.families.has(name)) this.families.set(name, { help, type, samples: [] });
  }

  private sample(
    family: string,
    type: MetricType,
    help: string,
    name: string,
    labels: Labels | LabelText,
    value: number,
  ): void {
    let found = this.families.get(family);
    if (found === undefined) {
      found = { help, type, samples: [] };
      this.families.set(family, found);
    }
    found.samples.push(`${name}${labelText(labels)} ${valueText(value)}`);
  }

  text(): string {
    // One join per family: spreading a family of 10,000 samples into one array of every
    // line cost more than the joins themselves.
    const parts: string[] = [];
    for (const [name, family] of this.families) {
      parts.push(`# HELP ${name} ${family.help}\n# TYPE ${name} ${family.type}\n`);
      if (family.samples.length > 0) parts.push(family.samples.join('\n'), '\n');
    }
    return parts.join('');
  }
}
