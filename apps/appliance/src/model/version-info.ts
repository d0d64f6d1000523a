// A stored configuration version as the history lists it (API, UI): who made it, when and why.

/** Who made a version, when and why. */
export interface VersionInfo {
  version: number;
  author: string;
  /** ISO 8601, UTC. */
  time: string;
  comment: string;
}
