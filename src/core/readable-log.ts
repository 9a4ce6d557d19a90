/**
 * pino's JSON lines made readable for a terminal: `12:04:05 INFO  login user=12 ip=127.0.0.1`.
 * Used when the server logs to a TTY (a developer's terminal) and logFormat is "auto", or
 * always with logFormat "pretty"; a file or a log collector gets the JSON lines unchanged.
 */

const LEVELS: Record<number, string> = {
  10: "TRACE",
  20: "DEBUG",
  30: "INFO ",
  40: "WARN ",
  50: "ERROR",
  60: "FATAL",
};

const COLORS: Record<number, string> = { 20: "\x1b[90m", 40: "\x1b[33m", 50: "\x1b[31m", 60: "\x1b[31m" };
const RESET = "\x1b[0m";

/** Keys every line has, shown in the line's frame rather than as key=value. */
const FRAME = new Set(["level", "time", "msg", "pid", "hostname", "name"]);

function clock(time: unknown): string {
  const date = typeof time === "number" ? new Date(time) : new Date();
  return date.toTimeString().slice(0, 8);
}

function show(value: unknown): string {
  if (typeof value === "string") return /[\s"=]/.test(value) || value === "" ? JSON.stringify(value) : value;
  return JSON.stringify(value) ?? String(value);
}

/** One JSON log line as a readable line (ending in a newline); a line that is not JSON passes through. */
export function readableLine(line: string, color: boolean): string {
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line.endsWith("\n") ? line : `${line}\n`;
  }
  const level = typeof entry.level === "number" ? entry.level : 30;
  const fields: string[] = [];
  let stack: string | undefined;
  for (const [key, value] of Object.entries(entry)) {
    if (FRAME.has(key)) continue;
    if (key === "err" && typeof value === "object" && value !== null) {
      const err = value as { message?: unknown; stack?: unknown };
      fields.push(`err=${show(err.message)}`);
      if (typeof err.stack === "string") stack = err.stack;
      continue;
    }
    fields.push(`${key}=${show(value)}`);
  }
  const head = `${clock(entry.time)} ${LEVELS[level] ?? String(level)} ${String(entry.msg ?? "")}`;
  const text = [head, ...fields].join(" ") + (stack ? `\n${stack.replace(/^/gm, "    ")}` : "");
  const tint = color ? COLORS[level] : undefined;
  return tint ? `${tint}${text}${RESET}\n` : `${text}\n`;
}

/** A pino destination writing readable lines to a stream (process.stdout by default). */
export function readableDestination(out: NodeJS.WritableStream & { isTTY?: boolean } = process.stdout) {
  const color = out.isTTY === true && !process.env.NO_COLOR;
  return {
    write(chunk: string): void {
      for (const line of chunk.split("\n")) if (line !== "") out.write(readableLine(line, color));
    },
  };
}
