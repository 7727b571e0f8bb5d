import { PhysicalMemory } from "@osbricks/hw-x86";
const N = 135168;
const m = new PhysicalMemory({ size: N * 4096 });
for (let f = 0; f < N; f++) m.frameWords(f).fill(1).fill(0);
let x = 12345;
function r() { x ^= x << 13; x ^= x >>> 17; x ^= x << 5; return x >>> 0; }
for (let rep = 0; rep < 3; rep++) {
  let t = performance.now();
  for (let k = 0; k < 130000; k++) m.copyFrame(r() % N, r() % N);
  console.log("copyFrame ns", ((performance.now() - t) * 1e6) / 130000);
  t = performance.now();
  for (let k = 0; k < 130000; k++) m.frameWords(r() % N).set(m.frameWords(r() % N));
  console.log("set ns", ((performance.now() - t) * 1e6) / 130000);
  const big = new Int32Array(N * 1024);
  t = performance.now();
  for (let k = 0; k < 130000; k++) { const d = (r() % N) * 1024, s = (r() % N) * 1024; big.copyWithin(d, s, s + 1024); }
  console.log("big copyWithin ns", ((performance.now() - t) * 1e6) / 130000);
  t = performance.now();
  for (let k = 0; k < 130000; k++) { const d = (r() % N) * 1024, s = (r() % N) * 1024; big.set(big.subarray(s, s + 1024), d); }
  console.log("big subarray set ns", ((performance.now() - t) * 1e6) / 130000);
}
