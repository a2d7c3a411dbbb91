/** One line of `loom-guard doctor`: ✔ fine, ⚠ worth fixing, ✖ blocks every commit or disables the guard. */
export interface Finding {
  id: string;
  status: 'ok' | 'warn' | 'error';
  message: string;
  /** One line: what to do. Required for warn and error. */
  fix?: string;
}

export const ok = (id: string, message: string): Finding => ({ id, status: 'ok', message });
export const warn = (id: string, message: string, fix: string): Finding => ({ id, status: 'warn', message, fix });
export const error = (id: string, message: string, fix: string): Finding => ({ id, status: 'error', message, fix });
