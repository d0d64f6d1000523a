export { type CommitPipeline, type CommitPipelineOptions, createCommitPipeline } from './commit-pipeline.js';
