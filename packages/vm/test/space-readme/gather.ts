import { Cpu, IpiBus, PhysicalMemory, TlbShootdown } from "@osbricks/hw-x86";
import { BuddyAllocator, IpiShootdown, PROT_READ, PROT_WRITE, VmSystem } from "@osbricks/vm";

const memory = new PhysicalMemory({ size: 4 << 20 });
const frames = new BuddyAllocator({ frames: memory.frameCount });
frames.reserve(0, 1);
const bus = new IpiBus();
const cpus = [0, 1].map((id) => bus.attach(new Cpu({ id, memory })));
const target = new IpiShootdown({ cpus, protocol: new TlbShootdown(bus), initiator: () => cpus[0]! });
const sys = new VmSystem({ memory, frames, strategy: "refcount", shootdown: target });
const s = sys.createSpace();
for (const c of cpus) target.switchTo(c, s.id, s.root); // both CPUs run the space
s.map({ length: 0x1000, prot: PROT_READ | PROT_WRITE, placement: { kind: "fixed", va: 0x10000 } });
const frame = (s.handleFault(0x10000, "write") as { frame: number }).frame;
cpus[1]!.cli(); // CPU 1 cannot take the shootdown IPI now
s.unmap(0x10000, 0x1000);
console.log(frames.isAllocated(frame), sys.gather.deferredFrames); // true 4: page + 3 tables wait
cpus[1]!.sti();
cpus[1]!.deliverInterrupts(); // INVLPG on CPU 1, acknowledged
sys.gather.poll(); // the release runs
console.log(frames.isAllocated(frame), sys.gather.deferredFrames); // false 0
