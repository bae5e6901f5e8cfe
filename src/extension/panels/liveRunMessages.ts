/** Moved to src/protocol/liveRun.ts (shared by host and webview); re-exported for existing importers. */
export type { HostToLiveRun, LiveIterationSummary, LiveProgressPoint, LiveRunToHost } from '../../protocol/liveRun';
export { isHostToLiveRun, isLiveRunToHost } from '../../protocol/liveRun';
