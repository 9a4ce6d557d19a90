/**
 * Checks the import structure of src/: no import cycles (type-only imports included), and no
 * import from a lower layer into a higher one. Run by `npm run lint`; exits 1 listing what breaks.
 *
 * The layers, from the bottom: core, then mail, sms and options, then http and store, then sessions,
 * then base (the pending login, stages, the pipeline, the area contract), then the areas; the
 * wiring (latchkey.ts, index.ts) and what embeds it (adapters, middleware, cli) sit on top. An
 * area may use the account area (allauth's apps build on account), never another area.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";

const SRC = resolve(import.meta.dirname, "../src");

/** What each folder of src/ may import, besides itself. */
const ALLOWED: Record<string, readonly string[]> = {
  core: [],
  mail: ["core"],
  sms: ["core"],
  options: ["core"],
  http: ["core", "options"],
  store: ["core", "options"],
  sessions: ["core", "options", "http", "store"],
  base: ["core", "options", "http", "store", "sessions", "mail", "sms"],
  // The wire types and the input types of the areas' endpoints, type-only: the client's emitted
  // JavaScript imports nothing outside client/ (test/client/package.test.ts checks it).
  client: ["core", "account", "mfa", "social"],
  // The compact API translates onto the areas' routes and reuses the social flows: it sits above them.
  compact: ["core", "options", "store", "sessions", "base", "account", "social"],
  // The served document and docs page describe what the areas declare, through base's route
  // types only: it sits above the areas without importing any of them.
  openapi: ["core", "options", "base"],
};
const LOWER = ["core", "mail", "sms", "options", "http", "store", "sessions", "base"];
/** Areas build on the layers below and on the account area. */
const AREA_MAY_USE = [...LOWER, "account"];
/** The top: the wiring and what embeds it. */
const TOP = new Set(["latchkey.ts", "index.ts", "adapters", "middleware", "cli"]);

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return files(path);
    return path.endsWith(".ts") && !path.endsWith(".test.ts") ? [path] : [];
  });
}

/** The relative imports of a file (static, dynamic and type-only), as absolute .ts paths. */
function importsOf(file: string): string[] {
  const text = readFileSync(file, "utf8");
  const found: string[] = [];
  const pattern = /(?:from|import)\s*\(?\s*["'](\.{1,2}\/[^"']+)["']/g;
  for (const match of text.matchAll(pattern)) {
    found.push(resolve(dirname(file), match[1]!.replace(/\.js$/, ".ts")));
  }
  return found;
}

/** The first folder of src/ a file is in (or the file's name, for files at the top). */
function layerOf(file: string): string {
  return relative(SRC, file).split("/")[0]!;
}

const all = files(SRC);
const graph = new Map(all.map((f) => [f, importsOf(f)]));
const problems: string[] = [];

for (const [file, imports] of graph) {
  const from = layerOf(file);
  if (TOP.has(from)) continue;
  const allowed = ALLOWED[from] ?? AREA_MAY_USE;
  for (const target of imports) {
    const to = layerOf(target);
    if (to === from || allowed.includes(to)) continue;
    problems.push(`${relative(SRC, file)} imports ${relative(SRC, target)}: ${from}/ may not use ${to}/`);
  }
}

// Cycles: a depth-first search that reports each back edge's loop once.
const state = new Map<string, "open" | "done">();
const stack: string[] = [];
function visit(file: string): void {
  state.set(file, "open");
  stack.push(file);
  for (const next of graph.get(file) ?? []) {
    if (!graph.has(next)) continue;
    const seen = state.get(next);
    if (seen === "open") {
      const loop = stack.slice(stack.indexOf(next)).map((f) => relative(SRC, f));
      problems.push(`import cycle: ${[...loop, loop[0]].join(" -> ")}`);
    } else if (seen === undefined) {
      visit(next);
    }
  }
  stack.pop();
  state.set(file, "done");
}
for (const file of all) if (!state.has(file)) visit(file);

if (problems.length > 0) {
  console.error(
    `import structure: ${problems.length} problem(s)\n${problems.map((p) => `  ${p}`).join("\n")}`,
  );
  process.exit(1);
}
console.log(`import structure: ${all.length} files, no cycles, layers respected`);
