export { bgpSummary } from './bgp-summary.js';
export { type ClusterControlOptions, type ClusterService, createClusterControl, followerError } from './control.js';
export { type DrainRecord, drainFile, readDrain, writeDrain } from './hold-file.js';
