// tcpconnect: trace active TCP connections (connect()): who connected from which
// address and port to which, or count connections per flow.
//
// A port of iovisor/bcc libbpf-tools/tcpconnect.bpf.c (and tcpconnect.h). A kprobe on
// tcp_v4_connect / tcp_v6_connect keeps the socket per thread; the kretprobe, when the
// call succeeded, reads the addresses and ports from struct sock (CO-RE field reads of
// sk->__sk_common) and sends an event, or counts the flow (do_count).
// Kprobes: this needs a kernel with CONFIG_KPROBES (the test machine's has none; the
// tests run it in Debian 6.1 and 6.12 guests).
//
//   bpftsc run examples/tcpconnect.ts -c "curl -s http://127.0.0.1:8080/"
//   bpftsc run examples/tcpconnect.ts --set do_count=true --set source_port=true -d 10
//   bpftsc run examples/tcpconnect.ts --set 'filter_ports=[80,443]' --set filter_ports_len=2
//
// Settings (tcpconnect's options): filter_ports and filter_ports_len (-P), filter_uid
// (-u), filter_pid (-p), do_count (-c), source_port (-s).
//
// Differences from the original, and why:
// - Events go through a ring buffer, not a perf buffer: as libbpf-tools'
//   compat.bpf.h picks one where the kernel has it (5.8+): one buffer for all CPUs, records
//   in order.
// - The flow counts are added with HashMap.add (an atomic add that inserts the key when
//   absent), the original's bpf_map_lookup_or_try_init and __atomic_add_fetch.
// - `sockets` keeps the socket's address (a u64) where the original keeps a struct sock *:
//   a map value is an integer or a struct, not a pointer (see docs/tool-gaps.md).
// - Ports are printed as the kernel keeps them: dport in network byte order (as the
//   original's event carries it; its user space applies ntohs), sport (skc_num) in host
//   order.
import { kprobe, kretprobe, HashMap, RingBuf, pid, tid, uid, ktimeNs, comm, toAddress, toKernelPtr, type bool, type i32, type u8, type u16, type u32, type u64, type Ptr, type Chars, type FixedArray, type Union } from "bpftsc";
import type { sock } from "./kernel.js";

const MAX_ENTRIES = 8192;
const MAX_PORTS = 64;
const AF_INET = 2;
const AF_INET6 = 10;

// A FixedArray setting's value is a literal of every element (see docs/tool-gaps.md).
export const filter_ports: FixedArray<i32, 64> = [
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
] as FixedArray<i32, 64>;
export const filter_ports_len: i32 = 0;
export const filter_uid: u32 = 0xffffffff;
export const filter_pid: i32 = 0;
export const do_count: bool = false;
export const source_port: bool = false;

/** struct ipv4_flow_key */
interface Ipv4FlowKey {
  saddr: u32;
  daddr: u32;
  sport: u16;
  dport: u16;
}

/** struct ipv6_flow_key */
interface Ipv6FlowKey {
  saddr: FixedArray<u8, 16>;
  daddr: FixedArray<u8, 16>;
  sport: u16;
  dport: u16;
}

/** The event's address: an IPv4 or an IPv6 address (the original's anonymous unions of
 *  saddr_v4/saddr_v6 and daddr_v4/daddr_v6). */
type Addr = Union<{ v4: u32; v6: FixedArray<u8, 16> }>;

/** struct event */
interface Event {
  saddr: Addr;
  daddr: Addr;
  task: Chars<16>;
  ts_us: u64;
  af: u32;
  pid: u32;
  uid: u32;
  sport: u16;
  dport: u16;
}

/** tid -> the socket (its address: a map value is an integer or a struct, not a pointer) */
const sockets = new HashMap<u32, u64>(MAX_ENTRIES);
const ipv4_count = new HashMap<Ipv4FlowKey, u64>(MAX_ENTRIES);
const ipv6_count = new HashMap<Ipv6FlowKey, u64>(MAX_ENTRIES);
export const events = new RingBuf<Event>(1 << 18);

function filter_port(port: u16): bool {
  if (filter_ports_len === 0) return false;
  for (let i = 0; i < MAX_PORTS; i++) {
    if (i >= filter_ports_len) break;
    if (port === filter_ports[i]) return false;
  }
  return true;
}

/** @inline (one subprogram in .text: see docs/tool-gaps.md on -S listings) */
function enter_tcp_connect(sk: Ptr<sock>): void {
  if (filter_pid !== 0 && pid() !== filter_pid) return;
  const u = uid();
  if (filter_uid !== 0xffffffff && u !== filter_uid) return;
  sockets.set(tid(), toAddress(sk));
}

function count_v4(sk: Ptr<sock>, sport: u16, dport: u16): void {
  const key: Ipv4FlowKey = { saddr: sk.__sk_common.skc_rcv_saddr, daddr: sk.__sk_common.skc_daddr, sport, dport };
  ipv4_count.add(key, 1);
}

function count_v6(sk: Ptr<sock>, sport: u16, dport: u16): void {
  const key: Ipv6FlowKey = {
    saddr: sk.__sk_common.skc_v6_rcv_saddr.in6_u.u6_addr8,
    daddr: sk.__sk_common.skc_v6_daddr.in6_u.u6_addr8,
    sport,
    dport,
  };
  ipv6_count.add(key, 1);
}

function trace_v4(sk: Ptr<sock>, sport: u16, dport: u16): void {
  events.output({
    saddr: { v4: sk.__sk_common.skc_rcv_saddr } as Addr,
    daddr: { v4: sk.__sk_common.skc_daddr } as Addr,
    task: comm(),
    ts_us: ktimeNs() / 1000,
    af: AF_INET,
    pid: pid(),
    uid: uid(),
    sport,
    dport,
  });
}

function trace_v6(sk: Ptr<sock>, sport: u16, dport: u16): void {
  events.output({
    saddr: { v6: sk.__sk_common.skc_v6_rcv_saddr.in6_u.u6_addr8 } as Addr,
    daddr: { v6: sk.__sk_common.skc_v6_daddr.in6_u.u6_addr8 } as Addr,
    task: comm(),
    ts_us: ktimeNs() / 1000,
    af: AF_INET6,
    pid: pid(),
    uid: uid(),
    sport,
    dport,
  });
}

function exit_tcp_connect(ret: i32, ip_ver: i32): void {
  const t = tid();
  const skp = sockets.get(t);
  if (skp === undefined) return;
  const sk = toKernelPtr<sock>(skp);
  if (ret === 0) {
    const sport: u16 = source_port ? sk.__sk_common.skc_num : 0;
    const dport: u16 = sk.__sk_common.skc_dport;
    if (!filter_port(dport)) {
      if (do_count) {
        if (ip_ver === 4) count_v4(sk, sport, dport);
        else count_v6(sk, sport, dport);
      } else {
        if (ip_ver === 4) trace_v4(sk, sport, dport);
        else trace_v6(sk, sport, dport);
      }
    }
  }
  sockets.delete(t);
}

export const tcp_v4_connect = kprobe("tcp_v4_connect", (sk: Ptr<sock>) => {
  enter_tcp_connect(sk);
});

export const tcp_v4_connect_ret = kretprobe("tcp_v4_connect", (ret: i32) => {
  exit_tcp_connect(ret, 4);
});

export const tcp_v6_connect = kprobe("tcp_v6_connect", (sk: Ptr<sock>) => {
  enter_tcp_connect(sk);
});

export const tcp_v6_connect_ret = kretprobe("tcp_v6_connect", (ret: i32) => {
  exit_tcp_connect(ret, 6);
});
