/** The screenshot file names the README links, each once, in the order they appear. */
export function linkedScreenshots(): Promise<string[]>;
