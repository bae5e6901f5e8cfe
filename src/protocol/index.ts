/**
 * Every message between the extension host and its webviews, with the guards both sides run on
 * what they receive. The only module webviews and the host share (webviews may also `import type`
 * from src/core); eslint.config.mjs enforces it.
 */
export * from './liveRun';
export * from './statement';
export * from './peek';
export * from './report';
