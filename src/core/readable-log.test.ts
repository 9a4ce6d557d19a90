import { describe, expect, it } from "vitest";
import { readableLine } from "./readable-log.js";

describe("readableLine", () => {
  it("puts time, level and message first, then the fields as key=value", () => {
    const time = new Date(2026, 11, 2, 9, 5, 7).getTime();
    const line = JSON.stringify({
      level: 30,
      time,
      pid: 1,
      hostname: "h",
      name: "latchkey",
      msg: "login",
      event: "login",
      user: 12,
      userAgent: "Mozilla/5.0 (X11)",
      methods: ["password"],
    });
    expect(readableLine(line, false)).toBe(
      '09:05:07 INFO  login event=login user=12 userAgent="Mozilla/5.0 (X11)" methods=["password"]\n',
    );
  });

  it("shows an error's message, its stack indented below; colours warnings and errors on a terminal", () => {
    const line = JSON.stringify({
      level: 50,
      time: 0,
      msg: "unhandled error",
      err: { message: "boom", stack: "Error: boom\n    at x" },
    });
    const text = readableLine(line, true);
    expect(text.startsWith("\x1b[31m")).toBe(true);
    expect(text).toContain("ERROR unhandled error err=boom\n    Error: boom\n        at x");
    expect(readableLine("not json", false)).toBe("not json\n");
  });
});
