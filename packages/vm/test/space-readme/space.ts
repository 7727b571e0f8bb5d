import { Mmu, PhysicalMemory, Tlb } from "@osbricks/hw-x86";
import {
  BuddyAllocator,
  PROT_READ,
  PROT_WRITE,
  SyncTlbShootdown,
  userLoad8,
  userStore8,
  VmSystem,
} from "@osbricks/vm";

const memory = new PhysicalMemory({ size: 16 << 20 });
const frames = new BuddyAllocator({ frames: memory.frameCount });
frames.reserve(0, 1);
const cpu = { tlb: new Tlb(), activeSpace: null as number | null, pcid: 0 };
const mmu = new Mmu({ memory, tlb: cpu.tlb });
const sys = new VmSystem({ memory, frames, strategy: "shadow", shootdown: new SyncTlbShootdown([cpu]) });

const sh = sys.createSpace();
sh.map({ length: 0x8000, prot: PROT_READ | PROT_WRITE, placement: { kind: "fixed", va: 0x1000 } });
cpu.activeSpace = sh.id; // "load CR3"
userStore8(sh, mmu, 0x5000, 42); // #PF → demand-zero → retry → store
console.log(sh.unmap(0x3000, 0x2000)); // { kind: "unmapped", pages: 2 }: the area splits
console.log(sh.dump()); // 0000001000-0000003000 rw-p anon / 0000005000-0000009000 rw-p anon
console.log(userLoad8(sh, mmu, 0x3000)); // { kind: "segv", code: "maperr", … }
sh.protect(0x5000, 0x1000, PROT_READ); // leaf write-protected, TLB entry shot down
console.log(userStore8(sh, mmu, 0x5000, 1)); // { kind: "segv", code: "accerr", … }
const child = sh.fork()!; // copy-on-write: the same areas, pages shared until written
console.log(child.dump() === sh.dump()); // true
sys.checkInvariants();
