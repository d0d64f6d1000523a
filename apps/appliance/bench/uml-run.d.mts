// The types of uml-run.mjs, for the benchmarks written in TypeScript (bench/ha-*.ts).
export function benchInKernel(argv: string[]): Promise<Record<string, unknown>>;
export function here(p: string): string;
/** `12.3 ms`, `456 ms`, `1.23 s`. */
export function ms(v: number): string;
export function list(values: readonly number[]): string;
export function median(values: readonly number[]): number;
export function measuredOn(r: Record<string, unknown>): Promise<string>;
/** Prints `table` and puts it into README.md between `<!-- name:start -->` and `<!-- name:end -->`. */
export function writeFigures(name: string, table: string): void;
