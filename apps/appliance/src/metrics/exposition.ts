import type { LatenessHistogram } from '../model/ha-status.js';
import type { Histogram } from './histogram.js';

/** A label value in the exposition format: backslash, double quote and newline escaped. */
export function escapeLabel(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

export type Labels = Record<string, string>;
type MetricType = 'gauge' | 'counter' | 'histogram';

function labelText(labels: Labels): string {
  let text = '';
  for (const key in labels) text += `${text === '' ? '' : ','}${key}="${escapeLabel(labels[key] as string)}"`;
  return text === '' ? '' : `{${text}}`;
}

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

  add(name: string, type: 'gauge' | 'counter', help: string, labels: Labels, value: number): void {
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

  private sample(family: string, type: MetricType, help: string, name: string, labels: Labels, value: number): void {
    let found = this.families.get(family);
    if (found === undefined) {
      found = { help, type, samples: [] };
      this.families.set(family, found);
    }
    found.samples.push(`${name}${labelText(labels)} ${valueText(value)}`);
  }

  text(): string {
    const lines: string[] = [];
    for (const [name, family] of this.families) {
      lines.push(`# HELP ${name} ${family.help}`, `# TYPE ${name} ${family.type}`, ...family.samples);
    }
    return `${lines.join('\n')}\n`;
  }
}
