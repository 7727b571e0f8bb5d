// @osbricks/hw-x86/laws: the law suites, runnable against any implementation. Re-exports only.
export * from "./api.js";
export * from "./entry.js";
export * from "./interrupt-controller.js";
export * from "./mapper.js";
export { isMapperUnderTest, type MapperUnderTest } from "./mapper-hardware.js";
