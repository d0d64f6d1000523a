// The package ships no types: what the tests read of its prom2json-shaped answer.
declare module 'parse-prometheus-text-format' {
  export default function parsePrometheusTextFormat(text: string): unknown[];
}
