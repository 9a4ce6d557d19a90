/**
 * The `latchkey` command from a build, as an installed package runs it: src/ compiled, and the
 * command bundled, into a package folder of the bench's own (bin/, data/, dist/, package.json, the
 * checkout's node_modules), so that the checkout's dist/ is neither needed nor touched.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath, pathToFileURL } from "node:url";

const ROOT = fileURLToPath(new URL("..", import.meta.url));

export interface Build {
  /** The package folder (its dist/ holds the compiled modules). */
  folder: string;
  /** bin/latchkey.cjs of the build. */
  bin: string;
  remove(): void;
}

/** Compiles src/ into a package folder under /tmp (about ten seconds). */
export function buildPackage(): Build {
  const folder = `/tmp/latchkey-bench-build-${process.pid}`;
  rmSync(folder, { recursive: true, force: true });
  mkdirSync(folder, { recursive: true });
  const manifest = createRequire(import.meta.url).resolve("typescript/package.json");
  const bin = JSON.parse(readFileSync(manifest, "utf8")).bin as string | Record<string, string>;
  const tsc = join(dirname(manifest), typeof bin === "string" ? bin : bin.tsc!);
  // Type errors do not stop the emit: the bench measures whatever the sources are now.
  spawnSync(
    process.execPath,
    [tsc, "-p", join(ROOT, "tsconfig.build.json"), "--outDir", join(folder, "dist")],
    {
      stdio: "ignore",
    },
  );
  // As scripts/build.mjs does: the docs page's files are served from beside their module.
  for (const name of ["docs.html", "docs.js", "docs.css"]) {
    const source = join(ROOT, "src", "openapi", name);
    if (existsSync(source)) cpSync(source, join(folder, "dist", "openapi", name));
  }
  // And the command bundled, as the package ships it (scripts/bundle-command.mjs).
  const bundle = `const { bundleCommand } = await import(${JSON.stringify(pathToFileURL(join(ROOT, "scripts", "bundle-command.mjs")).href)});
await bundleCommand(${JSON.stringify(ROOT)}, ${JSON.stringify(join(folder, "dist"))});`;
  spawnSync(process.execPath, ["--input-type=module", "-e", bundle], { stdio: "inherit" });
  writeFileSync(join(folder, "dist", ".build-started"), `${Date.now()}\n`);
  for (const shipped of ["bin", "data"])
    cpSync(join(ROOT, shipped), join(folder, shipped), { recursive: true });
  cpSync(join(ROOT, "package.json"), join(folder, "package.json"));
  symlinkSync(join(ROOT, "node_modules"), join(folder, "node_modules"));
  return {
    folder,
    bin: join(folder, "bin", "latchkey.cjs"),
    remove: () => rmSync(folder, { recursive: true, force: true }),
  };
}

export interface Served {
  url: string;
  /** The process `latchkey serve` runs in (the primary with workers), and the workers' pids. */
  pid: number;
  workers: number[];
  /** Milliseconds from the spawn to the banner (listening, migrated). */
  readyMs: number;
  stop(): Promise<void>;
}

/**
 * `latchkey serve` of a build with a JSON config, on a free port: resolves once it listens
 * (its banner printed). Standard error is passed through.
 */
export async function serve(
  bin: string,
  config: Record<string, unknown>,
  options: { workers?: number; env?: Record<string, string> } = {},
): Promise<Served> {
  const file = `/tmp/latchkey-bench-config-${process.pid}-${Math.random().toString(36).slice(2)}.json`;
  writeFileSync(file, JSON.stringify(config));
  const started = performance.now();
  const child: ChildProcess = spawn(
    process.execPath,
    [bin, "serve", "--port", "0", "--config", file, "--workers", String(options.workers ?? 1)],
    {
      env: { ...withoutLatchkeyVariables(process.env), LATCHKEY_LOG_LEVEL: "warn", ...options.env },
      stdio: ["ignore", "pipe", "inherit"],
    },
  );
  const lines = createInterface({ input: child.stdout! });
  const banner: string[] = [];
  const done = await new Promise<boolean>((resolve) => {
    lines.on("line", (line) => {
      banner.push(line);
      if ((options.workers ?? 1) === 1 ? line.includes("Stop with Ctrl+C") : line.includes("workers (pids")) {
        resolve(true);
      }
    });
    child.once("exit", () => resolve(false));
  });
  const readyMs = performance.now() - started;
  rmSync(file, { force: true });
  if (!done) throw new Error(`latchkey serve did not start:\n${banner.join("\n")}`);
  const url = /listening on (http:\/\/\S+)/.exec(banner.join("\n"))![1]!.replace("localhost", "127.0.0.1");
  const pids = /pids ([0-9, ]+)\)/.exec(banner.join("\n"));
  return {
    url,
    pid: child.pid!,
    workers: pids ? pids[1]!.split(", ").map(Number) : [child.pid!],
    readyMs,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once("exit", () => resolve());
        child.kill("SIGTERM");
      }),
  };
}

function withoutLatchkeyVariables(env: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) {
    if (value !== undefined && !name.startsWith("LATCHKEY_") && name !== "DATABASE_URL" && name !== "PORT") {
      out[name] = value;
    }
  }
  return out;
}

/** Resident memory of a process in MiB (Linux /proc). */
export function rssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)![1]) / 1024;
}

/** Milliseconds a command of the build takes from spawn to exit (its output dropped). */
export function commandMs(bin: string, args: string[], env: Record<string, string> = {}): number {
  const started = performance.now();
  const result = spawnSync(process.execPath, [bin, ...args], {
    env: { ...withoutLatchkeyVariables(process.env), ...env },
    stdio: "ignore",
    cwd: "/tmp",
  });
  if (result.status !== 0) throw new Error(`latchkey ${args.join(" ")} exited with ${result.status}`);
  return performance.now() - started;
}
