/**
 * Keeps docs/grafana/sluice.json from rotting: every metric its expressions name is a family
 * the appliance emits (scraped from the API with every part busy, parsed by an independent
 * parser), and it is a dashboard Grafana imports (a datasource input, panels with targets);
 * and docs/metrics.md names every family emitted.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { describe, expect, it } from 'vitest';
import { harnessEachTest, layer4Service } from '../api/harness.js';
import { engineMetrics } from '../api/metrics-fixture.js';

const DOCS = join(import.meta.dirname, '..', '..', '..', '..', 'docs');
const DASHBOARD = join(DOCS, 'grafana', 'sluice.json');

interface Panel {
  id: number;
  title: string;
  datasource?: { uid?: string };
  targets?: { expr: string; datasource?: { uid?: string } }[];
}
interface Dashboard {
  __inputs: { name: string; pluginId: string }[];
  uid: string;
  title: string;
  panels: Panel[];
  templating: { list: { query: string | { query: string } }[] };
}

const PROMQL_WORDS = new Set([
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'bool',
  'and',
  'or',
  'unless',
  'offset',
  'inf',
  'nan',
]);

/**
 * The metric names an expression selects: label matchers, grouping lists, durations,
 * strings and numbers taken out, what is left that is not a function call or a keyword.
 */
export function metricNames(expr: string): string[] {
  const bare = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ')
    .replace(/\$\w+/g, ' ')
    // Numbers and durations (0.99, 5m, 1e3).
    .replace(/(?<![\w:])\d[\w.]*/g, ' ');
  const names: string[] = [];
  for (const m of bare.matchAll(/[a-zA-Z_:][a-zA-Z0-9_:]*/g)) {
    const word = m[0];
    const after = bare.slice((m.index ?? 0) + word.length).trimStart();
    if (after.startsWith('(') || PROMQL_WORDS.has(word.toLowerCase())) continue;
    names.push(word);
  }
  return names;
}

describe('the Grafana dashboard and docs/metrics.md', () => {
  const t = harnessEachTest();

  it('the name extraction sees selectors, not labels, functions or keywords', () => {
    expect(
      metricNames(
        'histogram_quantile(0.99, sum by (le, part) (rate(a_seconds_bucket{instance=~"$instance",x="b c"}[$__rate_interval]))) - on (part) b_total offset 5m',
      ),
    ).toEqual(['a_seconds_bucket', 'b_total']);
  });

  it('names only metric families the appliance emits, and imports as a dashboard', async () => {
    const dashboard = JSON.parse(await readFile(DASHBOARD, 'utf8')) as Dashboard;
    expect(dashboard.__inputs).toEqual([expect.objectContaining({ name: 'DS_PROMETHEUS', pluginId: 'prometheus' })]);
    expect(dashboard.uid).toMatch(/^[a-z0-9-]{1,40}$/);
    const ids = dashboard.panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    const expressions: string[] = [];
    for (const panel of dashboard.panels) {
      // biome-ignore lint/suspicious/noTemplateCurlyInString: Grafana's import placeholder, not a template
      expect(panel.datasource?.uid, panel.title).toBe('${DS_PROMETHEUS}');
      expect(panel.targets?.length, panel.title).toBeGreaterThan(0);
      for (const target of panel.targets ?? []) expressions.push(target.expr);
    }
    for (const variable of dashboard.templating.list) {
      const query = typeof variable.query === 'string' ? variable.query : variable.query.query;
      expressions.push(query.replace(/^label_values\(([^,)]+).*$/, '$1'));
    }

    // Every part busy: a Layer 4 service, IPVS and HAProxy readings, an HA pair that moved.
    await t.admin.post(`/api/v1/layer4/services?version=${await t.admin.version()}&wait=applied`, layer4Service('web'));
    t.h.engine.metricsReading = engineMetrics(10);
    t.h.ha.setPair('active');
    const lateness = { count: 1, sumMs: 2, maxMs: 2, bounds: [5], buckets: [1] };
    t.h.ha.current = {
      ...t.h.ha.current,
      since: '2026-12-06T23:00:00.000Z',
      transitions: { 'peer-dead': 1 },
      heartbeat: { sendLateness: lateness, peerGap: lateness },
    };
    // The event loop's figures follow the first scrape.
    let families: { name: string; type: string }[] = [];
    while (!families.some((f) => f.name === 'nodejs_eventloop_lag_p99_seconds')) {
      const answer = await t.admin.get('/metrics');
      expect(answer.status).toBe(200);
      families = parsePrometheusTextFormat(answer.text) as { name: string; type: string }[];
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const emitted = new Map(families.map((f) => [f.name, f.type]));
    // docs/metrics.md names every family the appliance emits.
    const page = await readFile(join(DOCS, 'metrics.md'), 'utf8');
    for (const name of emitted.keys()) expect(page, `${name} is not in docs/metrics.md`).toContain(`\`${name}\``);
    const named = new Set(expressions.flatMap(metricNames));
    expect(named.size).toBeGreaterThan(10);
    for (const name of named) {
      const histogram = /^(.*)_(bucket|sum|count)$/.exec(name)?.[1];
      if (histogram !== undefined && emitted.get(histogram) === 'HISTOGRAM') continue;
      expect(emitted.has(name), `${name}: named by the dashboard, not emitted by /metrics`).toBe(true);
    }
  });
});
