/**
 * Prints the README's table of allauth's settings: each with the Latchkey option(s) it becomes
 * and how its value changes, or why Latchkey has none. Run with
 * `npx tsx scripts/allauth-settings-table.ts` and paste the output into the README.
 *
 * The rows come from SETTINGS (src/options/allauth-table.ts), the one place the mapping lives.
 */
import { SETTINGS } from "../src/options/allauth-table.js";

const cell = (text: string) => text.replace(/\|/g, "\\|");

const rows = Object.entries(SETTINGS).map(([name, rule]) =>
  "unsupported" in rule
    ? [`\`${name}\``, "—", `not supported: ${rule.unsupported}`]
    : [`\`${name}\``, rule.target === "—" ? "—" : `\`${rule.target}\``, rule.conversion ?? "as is"],
);

console.log("| allauth setting | Latchkey option | value |");
console.log("| --- | --- | --- |");
for (const row of rows) console.log(`| ${row.map(cell).join(" | ")} |`);
