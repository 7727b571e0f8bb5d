import { defineConfig } from "tsup";

export default defineConfig({
  entry: ["src/index.ts", "src/laws/index.ts"],
  format: ["esm"],
  target: "es2022",
  // tsup sets baseUrl itself, which TypeScript 6 deprecates (../shared/TOOLCHAIN.md, pitfall 1).
  dts: { compilerOptions: { ignoreDeprecations: "6.0" } },
  sourcemap: true,
  clean: true,
});
