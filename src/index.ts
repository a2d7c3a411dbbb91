// The public API: the config type and loader, for tools that read .loom-guard.json.
export type { Config, ReplayMode, LoadedConfig } from './config.js';
export { DEFAULT_CONFIG, loadConfig, parseConfig } from './config.js';
export { CHECK_IDS, type CheckId } from './checkIds.js';
