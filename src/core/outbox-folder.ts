import { randomBytes } from "node:crypto";
import { mkdir, rename, unlink, writeFile } from "node:fs/promises";
import { resolve as resolvePath } from "node:path";

/**
 * A folder the "file" transports of mail and texts write their messages into, one file each
 * (`<ms>-<counter>-<random>.<extension>`), so that tests and developers can read what was sent.
 */
export function outboxFolder(directory: string, extension: string) {
  const target = resolvePath(directory);
  let counter = 0;
  return {
    /**
     * Names the next message and returns what writes it. Named when called, before any await, so
     * names follow the order of the sends even when a later message finishes first; fixed-width
     * fields keep lexical order numeric. The file is written under a name readers skip, then
     * renamed: a reader never sees half a message. Resolves to the file's path.
     */
    reserve(): (content: string | Buffer) => Promise<string> {
      counter += 1;
      const name = `${String(Date.now()).padStart(13, "0")}-${String(counter).padStart(8, "0")}-${randomBytes(4).toString("hex")}.${extension}`;
      return async (content) => {
        await mkdir(target, { recursive: true });
        const temporary = resolvePath(target, `.${name}.tmp`);
        const final = resolvePath(target, name);
        try {
          await writeFile(temporary, content, { flag: "wx" });
          await rename(temporary, final);
        } catch (error) {
          await unlink(temporary).catch(() => {});
          throw error;
        }
        return final;
      };
    },
  };
}
