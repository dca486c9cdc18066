// expect: BPF2007 1:1
import { HashMap, type u32 } from "bpftsc";

const m = new HashMap<u32, u32>(4);
