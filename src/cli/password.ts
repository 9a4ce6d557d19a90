import type { ReadStream } from "node:tty";
import { CliError } from "./config.js";

/**
 * A password for `users create` and `users set-password`, never from the command line (it would
 * be seen in the process list and the shell's history): asked for twice, without echo, when
 * standard input is a terminal; otherwise the first line of standard input (`… < file`, or piped
 * from a secret store).
 */
export async function readPassword(
  input: NodeJS.ReadStream = process.stdin,
  prompt: NodeJS.WriteStream = process.stderr,
): Promise<string> {
  if (!input.isTTY) {
    const text = await readAll(input);
    const password = text.split(/\r?\n/, 1)[0] ?? "";
    if (password === "") throw new CliError("no password on standard input (its first line is the password)");
    return password;
  }
  const password = await ask(input as ReadStream, prompt, "Password: ");
  if (password === "") throw new CliError("no password given");
  if ((await ask(input as ReadStream, prompt, "Password (again): ")) !== password) {
    throw new CliError("the two passwords differ");
  }
  return password;
}

async function readAll(input: NodeJS.ReadStream): Promise<string> {
  let text = "";
  input.setEncoding("utf8");
  for await (const chunk of input) text += chunk as string;
  return text;
}

/** One line typed at the terminal, not echoed. Ctrl+C or Ctrl+D gives up. */
function ask(input: ReadStream, prompt: NodeJS.WriteStream, question: string): Promise<string> {
  prompt.write(question);
  input.setRawMode(true);
  input.setEncoding("utf8");
  input.resume();
  return new Promise((resolve, reject) => {
    let typed = "";
    const finish = (error?: CliError) => {
      input.off("data", onData);
      input.setRawMode(false);
      input.pause();
      prompt.write("\n");
      if (error) reject(error);
      else resolve(typed);
    };
    const onData = (chunk: string) => {
      for (const char of chunk) {
        if (char === "\r" || char === "\n") return finish();
        if (char === "\u0003" || char === "\u0004") return finish(new CliError("no password given"));
        if (char === "\u007f" || char === "\b") typed = [...typed].slice(0, -1).join("");
        else typed += char;
      }
    };
    input.on("data", onData);
  });
}
