// Preload (node --import) that records every module URL the process resolves, one a line, in the
// file named by LOOM_GUARD_TRACE_IMPORTS: how a test proves a command never loads a module.
import { register } from 'node:module';

register('./trace-imports-hooks.mjs', import.meta.url, { data: { log: process.env.LOOM_GUARD_TRACE_IMPORTS } });
