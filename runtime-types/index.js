// Probe files import "bpftsc" for its types only: bpftsc compiles them to BPF, Node
// never runs them. The compiler's API is "bpftsc/compiler".
throw new Error('"bpftsc" declares the probe language for the type checker; probe files are compiled with the bpftsc command, not run. For the compiler API, import from "bpftsc/compiler".');
