import { defineConfig } from "vite";

// JSX is compiled for Preact as tsconfig.json says (jsxImportSource); `npm run build` writes dist/,
// which server.ts serves.
export default defineConfig({
  build: { target: "es2022" },
});
