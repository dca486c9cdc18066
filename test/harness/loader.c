// loader: the real-kernel test harness of bpftsc.
//
// Opens a BPF ELF object with libbpf, optionally sets global variables before load,
// loads it into the kernel, optionally attaches its programs (auto-attach from section
// names), runs a command, and prints ONE JSON document on stdout describing every map's
// contents, every global variable (by name, from the object's DATASECs), ring buffer
// records and program statistics. The kernel must accept the object's BTF: when libbpf
// falls back to loading without it, that is a load failure.
//
//   loader OBJ [--attach] [--attach-prog NAME]... [--btf-custom PATH] [--stats]
//              [--set NAME=HEXBYTES]... [--ringbuf MAPNAME]... [--timeout SECONDS]
//              [--beside OBJ2] [--verbose] [-- CMD ARGS...]
//   loader --probe
//
// --beside loads OBJ2 too and attaches its programs (the same ones by name) after OBJ's,
// so that both run on the same events while the command runs (the benchmark times two
// compilers' objects this way); the JSON's "beside" holds OBJ2's program statistics.
// With --stats and a command, a program's run_time_ns and run_cnt count the events of
// the command's run only (kernel.bpf_stats_enabled must be 1 for the kernel to count).
//
// Exit status: 0 success (the command's own status is in the JSON), 1 bad usage,
// 2 open failed (or --set names no global), 3 load failed (verifier log on stderr),
// 4 attach failed, 5 runtime error, 6 the kernel refused the object's BTF (libbpf then
// loads the programs without it, so a broken .BTF would otherwise pass unnoticed; the
// kernel's BTF log is on stderr).
//
// Build: gcc -O2 -Wall -o loader loader.c -lbpf -lelf -lz
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/wait.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#define MAX_LIST 64

// ---- libbpf log capture ---------------------------------------------------------------

static char *log_buf;
static size_t log_len, log_cap;
static bool verbose;

static void log_append(const char *s, size_t n)
{
	if (log_len + n + 1 > log_cap) {
		size_t cap = log_cap ? log_cap : 65536;
		while (cap < log_len + n + 1)
			cap *= 2;
		char *p = realloc(log_buf, cap);
		if (!p)
			return;
		log_buf = p;
		log_cap = cap;
	}
	memcpy(log_buf + log_len, s, n);
	log_len += n;
	log_buf[log_len] = '\0';
}

static int print_cb(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_DEBUG && !verbose)
		return 0;
	va_list aq;
	va_copy(aq, ap);
	int n = vsnprintf(NULL, 0, fmt, aq);
	va_end(aq);
	if (n <= 0)
		return 0;
	char *s = malloc((size_t)n + 1);
	if (!s)
		return 0;
	vsnprintf(s, (size_t)n + 1, fmt, ap);
	log_append(s, (size_t)n);
	if (verbose)
		fputs(s, stderr);
	free(s);
	return n;
}

static void dump_log_and_exit(int code, const char *what)
{
	if (!verbose && log_len)
		fputs(log_buf, stderr);
	fprintf(stderr, "loader: %s\n", what);
	exit(code);
}

// ---- JSON output ----------------------------------------------------------------------

static void json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (const unsigned char *p = (const unsigned char *)s; p && *p; p++) {
		switch (*p) {
		case '"': fputs("\\\"", f); break;
		case '\\': fputs("\\\\", f); break;
		case '\n': fputs("\\n", f); break;
		case '\r': fputs("\\r", f); break;
		case '\t': fputs("\\t", f); break;
		default:
			if (*p < 0x20 || *p >= 0x7f)
				fprintf(f, "\\u%04x", *p); // bytes, not UTF-8 decoding: keep it simple
			else
				fputc(*p, f);
		}
	}
	fputc('"', f);
}

static void json_hex(FILE *f, const void *data, size_t n)
{
	const unsigned char *p = data;
	fputc('"', f);
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%02x", p[i]);
	fputc('"', f);
}

// ---- ring buffers ---------------------------------------------------------------------

struct rb_records {
	char **hex;
	size_t n, cap;
};

static int rb_sample(void *ctx, void *data, size_t size);

// A perf buffer record: the same list as a ring buffer's; lost records are counted.
static void pb_sample(void *ctx, int cpu, void *data, __u32 size)
{
	(void)cpu;
	rb_sample(ctx, data, size);
}

static unsigned long long pb_lost_total;
static void pb_lost(void *ctx, int cpu, __u64 n)
{
	(void)ctx;
	(void)cpu;
	pb_lost_total += n;
}

static int rb_sample(void *ctx, void *data, size_t size)
{
	struct rb_records *r = ctx;
	if (r->n == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 64;
		char **p = realloc(r->hex, cap * sizeof(*p));
		if (!p)
			return -ENOMEM;
		r->hex = p;
		r->cap = cap;
	}
	char *h = malloc(size * 2 + 1);
	if (!h)
		return -ENOMEM;
	for (size_t i = 0; i < size; i++)
		sprintf(h + 2 * i, "%02x", ((unsigned char *)data)[i]);
	h[size * 2] = '\0';
	r->hex[r->n++] = h;
	return 0;
}

// ---- map dumping ----------------------------------------------------------------------

static bool is_percpu(enum bpf_map_type t)
{
	return t == BPF_MAP_TYPE_PERCPU_HASH || t == BPF_MAP_TYPE_PERCPU_ARRAY ||
	       t == BPF_MAP_TYPE_LRU_PERCPU_HASH;
}

static bool is_keyed(enum bpf_map_type t)
{
	return t == BPF_MAP_TYPE_HASH || t == BPF_MAP_TYPE_PERCPU_HASH ||
	       t == BPF_MAP_TYPE_LRU_HASH || t == BPF_MAP_TYPE_LRU_PERCPU_HASH || t == BPF_MAP_TYPE_STACK_TRACE;
}

static bool is_array(enum bpf_map_type t)
{
	return t == BPF_MAP_TYPE_ARRAY || t == BPF_MAP_TYPE_PERCPU_ARRAY;
}

static void dump_value(FILE *f, const unsigned char *val, __u32 vsz, bool percpu, int ncpus)
{
	if (!percpu) {
		fputs(",\"value\":", f);
		json_hex(f, val, vsz);
		return;
	}
	size_t stride = ((size_t)vsz + 7) / 8 * 8;
	fputs(",\"values\":[", f);
	for (int c = 0; c < ncpus; c++) {
		if (c)
			fputc(',', f);
		json_hex(f, val + c * stride, vsz);
	}
	fputc(']', f);
}

static void dump_entries(FILE *f, struct bpf_map *map, int ncpus)
{
	enum bpf_map_type t = bpf_map__type(map);
	int fd = bpf_map__fd(map);
	__u32 ksz = bpf_map__key_size(map), vsz = bpf_map__value_size(map);
	__u32 max = bpf_map__max_entries(map);
	bool percpu = is_percpu(t);
	size_t vbuf_sz = percpu ? ((size_t)vsz + 7) / 8 * 8 * ncpus : vsz;
	unsigned char *key = calloc(1, ksz + 8), *next = calloc(1, ksz + 8);
	unsigned char *val = calloc(1, vbuf_sz + 8);
	bool first = true;

	fputs(",\"entries\":[", f);
	if (!key || !next || !val)
		goto out;
	if (is_array(t) && ksz == 4) {
		for (__u32 i = 0; i < max; i++) {
			if (bpf_map_lookup_elem(fd, &i, val))
				continue;
			fputs(first ? "{\"key\":" : ",{\"key\":", f);
			first = false;
			json_hex(f, &i, 4);
			dump_value(f, val, vsz, percpu, ncpus);
			fputc('}', f);
		}
	} else if (is_keyed(t)) {
		void *prev = NULL;
		// Bound the walk: a concurrently changing map could otherwise restart forever.
		for (__u64 n = 0; n < (__u64)max * 2 + 16; n++) {
			if (bpf_map_get_next_key(fd, prev, next))
				break;
			memcpy(key, next, ksz);
			prev = key;
			if (bpf_map_lookup_elem(fd, key, val))
				continue;
			fputs(first ? "{\"key\":" : ",{\"key\":", f);
			first = false;
			json_hex(f, key, ksz);
			dump_value(f, val, vsz, percpu, ncpus);
			fputc('}', f);
		}
	}
out:
	fputc(']', f);
	free(key);
	free(next);
	free(val);
}

static void usage(void)
{
	fprintf(stderr,
		"usage: loader OBJ [--attach] [--attach-prog NAME]... [--btf-custom PATH] [--stats]\n"
		"              [--set NAME=HEXBYTES]... [--ringbuf MAPNAME]... [--timeout SECONDS]\n"
		"              [--beside OBJ2] [--verbose] [-- CMD ARGS...]\n"
		"       loader --probe\n");
	exit(1);
}

// ---- global variables -----------------------------------------------------------------

// The DATASEC describing an internal map (.rodata, .data, .bss), or NULL.
static const struct btf_type *datasec_of(struct bpf_object *obj, struct bpf_map *map)
{
	struct btf *btf = bpf_object__btf(obj);
	__u32 id = bpf_map__btf_value_type_id(map);
	const struct btf_type *t = btf && id ? btf__type_by_id(btf, id) : NULL;
	return t && btf_is_datasec(t) ? t : NULL;
}

static const char *var_name(struct bpf_object *obj, const struct btf_var_secinfo *v)
{
	struct btf *btf = bpf_object__btf(obj);
	return btf__name_by_offset(btf, btf__type_by_id(btf, v->type)->name_off);
}

// --set NAME=HEX: writes the bytes into the variable's initial value before load.
static void set_global(struct bpf_object *obj, const char *spec)
{
	const char *eq = strchr(spec, '=');
	if (!eq)
		usage();
	size_t nlen = (size_t)(eq - spec), hlen = strlen(eq + 1);
	struct bpf_map *map;
	bpf_object__for_each_map(map, obj) {
		const struct btf_type *sec = datasec_of(obj, map);
		if (!sec)
			continue;
		const struct btf_var_secinfo *v = btf_var_secinfos(sec);
		for (int i = 0; i < btf_vlen(sec); i++, v++) {
			const char *name = var_name(obj, v);
			if (strlen(name) != nlen || strncmp(name, spec, nlen) != 0)
				continue;
			size_t size;
			const void *init = bpf_map__initial_value(map, &size);
			unsigned char *data = init ? malloc(size) : NULL;
			if (!data || hlen != 2 * (size_t)v->size || v->offset + v->size > size) {
				fprintf(stderr, "loader: --set %s: the variable has %u bytes\n", spec, v->size);
				exit(2);
			}
			memcpy(data, init, size);
			for (__u32 k = 0; k < v->size; k++)
				sscanf(eq + 1 + 2 * k, "%2hhx", &data[v->offset + k]);
			if (bpf_map__set_initial_value(map, data, size)) {
				fprintf(stderr, "loader: --set %s: %s\n", spec, strerror(errno));
				exit(2);
			}
			free(data);
			return;
		}
	}
	fprintf(stderr, "loader: --set %s: no such global variable\n", spec);
	exit(2);
}

static void dump_globals(FILE *f, struct bpf_object *obj)
{
	bool first = true;
	struct bpf_map *map;
	fputs(",\"globals\":[", f);
	bpf_object__for_each_map(map, obj) {
		const struct btf_type *sec = datasec_of(obj, map);
		if (!sec)
			continue;
		__u32 key = 0, vsz = bpf_map__value_size(map);
		unsigned char *val = calloc(1, vsz + 8);
		if (!val || bpf_map_lookup_elem(bpf_map__fd(map), &key, val)) {
			free(val);
			continue;
		}
		const struct btf_var_secinfo *v = btf_var_secinfos(sec);
		for (int i = 0; i < btf_vlen(sec); i++, v++) {
			fputs(first ? "{\"name\":" : ",{\"name\":", f);
			first = false;
			json_str(f, var_name(obj, v));
			fputs(",\"section\":", f);
			json_str(f, btf__name_by_offset(bpf_object__btf(obj), sec->name_off));
			fputs(",\"value\":", f);
			json_hex(f, val + v->offset, v->size);
			fputc('}', f);
		}
		free(val);
	}
	fputc(']', f);
}

// ---- program statistics ---------------------------------------------------------------

/* Times a program ran and the nanoseconds it took, as the kernel counts them while
 * kernel.bpf_stats_enabled is 1. */
struct run_stats {
	unsigned long long ns, cnt;
};

/* Every program's run statistics now, less those in `since` (zeros: since load), in the
 * object's order. */
static void read_run_stats(struct bpf_object *obj, struct run_stats *out, const struct run_stats *since)
{
	struct bpf_program *prog;
	int pi = 0;
	bpf_object__for_each_program(prog, obj) {
		struct bpf_prog_info info;
		__u32 len = sizeof(info);
		memset(&info, 0, sizeof(info));
		bool ok = bpf_obj_get_info_by_fd(bpf_program__fd(prog), &info, &len) == 0;
		out[pi].ns = (ok ? info.run_time_ns : 0) - since[pi].ns;
		out[pi].cnt = (ok ? info.run_cnt : 0) - since[pi].cnt;
		pi++;
	}
}

static void dump_prog(FILE *f, struct bpf_program *prog, bool stats, bool attached, const struct run_stats *run)
{
	fputs("{\"name\":", f);
	json_str(f, bpf_program__name(prog));
	fputs(",\"section\":", f);
	json_str(f, bpf_program__section_name(prog));
	fputs(",\"type\":", f);
	const char *ts = libbpf_bpf_prog_type_str(bpf_program__type(prog));
	json_str(f, ts ? ts : "unknown");
	fprintf(f, ",\"attached\":%s", attached ? "true" : "false");
	struct bpf_prog_info info;
	__u32 len = sizeof(info);
	memset(&info, 0, sizeof(info));
	bool have_info = bpf_obj_get_info_by_fd(bpf_program__fd(prog), &info, &len) == 0;
	if (have_info)
		fprintf(f, ",\"btf_id\":%u", info.btf_id);
	if (stats) {
		fprintf(f, ",\"insns\":%zu", bpf_program__insn_cnt(prog));
		if (have_info) {
			fprintf(f, ",\"xlated_insns\":%u,\"jited_bytes\":%u,\"verified_insns\":%u",
				info.xlated_prog_len / 8, info.jited_prog_len, info.verified_insns);
			fprintf(f, ",\"run_time_ns\":%llu,\"run_cnt\":%llu", run->ns, run->cnt);
		}
	}
	fputc('}', f);
}

// ---- main -----------------------------------------------------------------------------


static bool in_list(const char *name, char **list, int n)
{
	for (int i = 0; i < n; i++)
		if (strcmp(list[i], name) == 0)
			return true;
	return false;
}

/* Opens and loads an object, with the globals of --set; exits 2, 3 or 6 on failure. */
static struct bpf_object *load_object(const char *path, const char *btf_custom, char **sets, int n_set)
{
	LIBBPF_OPTS(bpf_object_open_opts, oopts, .btf_custom_path = btf_custom);
	struct bpf_object *obj = bpf_object__open_file(path, &oopts);
	if (!obj) {
		char msg[512];
		snprintf(msg, sizeof(msg), "open %s failed: %s", path, strerror(errno));
		dump_log_and_exit(2, msg);
	}
	for (int i = 0; i < n_set; i++)
		set_global(obj, sets[i]);
	int err = bpf_object__load(obj);
	if (err) {
		char msg[512];
		snprintf(msg, sizeof(msg), "load %s failed: %s", path, strerror(-err));
		dump_log_and_exit(3, msg);
	}
	if (bpf_object__btf_fd(obj) < 0)
		dump_log_and_exit(6, "the kernel did not load the object's BTF");
	return obj;
}

/* Attaches the object's programs: all, or those named; one link (or NULL) per program,
 * in the object's order. Exits 4 on failure. */
static struct bpf_link **attach_programs(struct bpf_object *obj, bool all, char **names, int n_names, int *nprogs)
{
	struct bpf_program *prog;
	int n = 0;
	bpf_object__for_each_program(prog, obj) n++;
	struct bpf_link **links = calloc(n + 1, sizeof(*links));
	int pi = 0;
	bpf_object__for_each_program(prog, obj) {
		const char *name = bpf_program__name(prog);
		if (all || in_list(name, names, n_names)) {
			links[pi] = bpf_program__attach(prog);
			if (!links[pi]) {
				char msg[512];
				snprintf(msg, sizeof(msg), "attach program '%s' (section '%s') failed: %s",
					 name, bpf_program__section_name(prog), strerror(errno));
				dump_log_and_exit(4, msg);
			}
		}
		pi++;
	}
	*nprogs = n;
	return links;
}

/* The object's programs as a JSON array, with their run statistics `run`. */
static void dump_programs(FILE *f, struct bpf_object *obj, struct bpf_link **links, bool stats,
			  const struct run_stats *run)
{
	struct bpf_program *prog;
	int pi = 0;
	fputc('[', f);
	bpf_object__for_each_program(prog, obj) {
		if (pi)
			fputc(',', f);
		dump_prog(f, prog, stats, links[pi] != NULL, &run[pi]);
		pi++;
	}
	fputc(']', f);
}

static int probe_kernel(void)
{
	static const struct { enum bpf_prog_type t; const char *name; } kinds[] = {
		{ BPF_PROG_TYPE_SOCKET_FILTER, "socket_filter" },
		{ BPF_PROG_TYPE_KPROBE, "kprobe" },
		{ BPF_PROG_TYPE_TRACEPOINT, "tracepoint" },
		{ BPF_PROG_TYPE_TRACING, "tracing" },
	};
	bool any = false;
	printf("{");
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		int r = libbpf_probe_bpf_prog_type(kinds[i].t, NULL);
		any |= r == 1;
		printf("%s\"%s\":%s", i ? "," : "", kinds[i].name, r == 1 ? "true" : "false");
	}
	printf(",\"possible_cpus\":%d}\n", libbpf_num_possible_cpus());
	return any ? 0 : 5;
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	const char *obj_path = NULL, *btf_custom = NULL, *beside_path = NULL;
	bool attach_all = false, stats = false;
	char *attach_names[MAX_LIST], *rb_names[MAX_LIST], *sets[MAX_LIST];
	int n_attach = 0, n_rb = 0, n_set = 0;
	double timeout = 30;
	char **cmd = NULL;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "--") == 0) {
			cmd = argv + i + 1;
			if (!*cmd)
				usage();
			break;
		} else if (strcmp(a, "--probe") == 0) {
			libbpf_set_print(print_cb);
			return probe_kernel();
		} else if (strcmp(a, "--attach") == 0) {
			attach_all = true;
		} else if (strcmp(a, "--attach-prog") == 0 && i + 1 < argc && n_attach < MAX_LIST) {
			attach_names[n_attach++] = argv[++i];
		} else if (strcmp(a, "--btf-custom") == 0 && i + 1 < argc) {
			btf_custom = argv[++i];
		} else if (strcmp(a, "--stats") == 0) {
			stats = true;
		} else if (strcmp(a, "--set") == 0 && i + 1 < argc && n_set < MAX_LIST) {
			sets[n_set++] = argv[++i];
		} else if (strcmp(a, "--ringbuf") == 0 && i + 1 < argc && n_rb < MAX_LIST) {
			rb_names[n_rb++] = argv[++i];
		} else if (strcmp(a, "--timeout") == 0 && i + 1 < argc) {
			timeout = atof(argv[++i]);
		} else if (strcmp(a, "--beside") == 0 && i + 1 < argc) {
			beside_path = argv[++i];
		} else if (strcmp(a, "--verbose") == 0) {
			verbose = true;
		} else if (a[0] == '-' || obj_path) {
			usage();
		} else {
			obj_path = a;
		}
	}
	if (!obj_path)
		usage();

	libbpf_set_print(print_cb);
	struct bpf_object *obj = load_object(obj_path, btf_custom, sets, n_set);
	struct bpf_object *beside = beside_path ? load_object(beside_path, btf_custom, NULL, 0) : NULL;
	int nprogs, nbeside = 0;
	struct bpf_link **links = attach_programs(obj, attach_all, attach_names, n_attach, &nprogs);
	struct bpf_link **beside_links = beside ? attach_programs(beside, attach_all, attach_names, n_attach, &nbeside) : NULL;

	// Ring buffers: every RINGBUF map, or only those named with --ringbuf.
	struct bpf_map *map;
	int nmaps = 0;
	bpf_object__for_each_map(map, obj) nmaps++;
	struct rb_records *recs = calloc(nmaps + 1, sizeof(*recs));
	struct ring_buffer *rb = NULL;
	struct perf_buffer **pbs = calloc(nmaps + 1, sizeof(*pbs));
	int npb = 0;
	int mi = 0;
	bpf_object__for_each_map(map, obj) {
		if (bpf_map__type(map) == BPF_MAP_TYPE_PERF_EVENT_ARRAY &&
		    (n_rb == 0 || in_list(bpf_map__name(map), rb_names, n_rb))) {
			pbs[npb] = perf_buffer__new(bpf_map__fd(map), 8, pb_sample, pb_lost, &recs[mi], NULL);
			if (!pbs[npb]) {
				char msg[512];
				snprintf(msg, sizeof(msg), "perf buffer '%s': %s", bpf_map__name(map), strerror(errno));
				dump_log_and_exit(5, msg);
			}
			npb++;
		}
		if (bpf_map__type(map) == BPF_MAP_TYPE_RINGBUF &&
		    (n_rb == 0 || in_list(bpf_map__name(map), rb_names, n_rb))) {
			int fd = bpf_map__fd(map);
			int err = rb ? ring_buffer__add(rb, fd, rb_sample, &recs[mi])
				 : ((rb = ring_buffer__new(fd, rb_sample, &recs[mi], NULL)) ? 0 : -errno);
			if (err) {
				char msg[512];
				snprintf(msg, sizeof(msg), "ring buffer '%s': %s", bpf_map__name(map),
					 strerror(-err));
				dump_log_and_exit(5, msg);
			}
		}
		mi++;
	}

	// Run statistics count the command's run only (from just before it starts to just
	// after it ends), so that both objects of --beside count the same events.
	struct run_stats *run = calloc(nprogs + 1, sizeof(*run)), *run_beside = calloc(nbeside + 1, sizeof(*run));
	struct run_stats *start = calloc(nprogs + 1, sizeof(*run)), *start_beside = calloc(nbeside + 1, sizeof(*run));
	if (cmd) { // since load: `run` and `run_beside` are still all zeros
		read_run_stats(obj, start, run);
		if (beside)
			read_run_stats(beside, start_beside, run_beside);
	}

	// Run the command; its stdout goes to a temporary file and into the JSON.
	pid_t child = 0;
	int status = 0;
	bool timed_out = false;
	FILE *out = NULL;
	if (cmd) {
		out = tmpfile();
		if (!out)
			dump_log_and_exit(5, "tmpfile failed");
		fflush(stdout);
		fflush(stderr);
		child = fork();
		if (child < 0)
			dump_log_and_exit(5, "fork failed");
		if (child == 0) {
			dup2(fileno(out), 1);
			execvp(cmd[0], cmd);
			fprintf(stderr, "loader: exec %s: %s\n", cmd[0], strerror(errno));
			_exit(127);
		}
		double deadline = now_s() + timeout;
		for (;;) {
			pid_t w = waitpid(child, &status, WNOHANG);
			if (w == child)
				break;
			if (w < 0 && errno != EINTR)
				dump_log_and_exit(5, "waitpid failed");
			if (!timed_out && now_s() > deadline) {
				kill(child, SIGKILL);
				timed_out = true;
			}
			if (rb)
				ring_buffer__poll(rb, npb ? 10 : 20);
			for (int i = 0; i < npb; i++)
				perf_buffer__poll(pbs[i], 10 / npb + 1);
			if (!rb && !npb)
				usleep(2000);
		}
	}
	if (rb)
		ring_buffer__consume(rb);
	for (int i = 0; i < npb; i++)
		perf_buffer__consume(pbs[i]);
	read_run_stats(obj, run, start);
	if (beside)
		read_run_stats(beside, run_beside, start_beside);
	// Detach before reading maps so that they stop changing.
	for (int i = 0; i < nprogs; i++)
		bpf_link__destroy(links[i]);
	for (int i = 0; i < nbeside; i++)
		bpf_link__destroy(beside_links[i]);

	// One JSON document.
	int ncpus = libbpf_num_possible_cpus();
	if (ncpus < 1)
		ncpus = 1;
	FILE *f = stdout;
	fputs("{\"object\":", f);
	json_str(f, obj_path);
	fprintf(f, ",\"possible_cpus\":%d,\"perf_lost\":%llu,\"programs\":", ncpus, pb_lost_total);
	dump_programs(f, obj, links, stats, run);
	if (beside) {
		fputs(",\"beside\":{\"object\":", f);
		json_str(f, beside_path);
		fputs(",\"programs\":", f);
		dump_programs(f, beside, beside_links, stats, run_beside);
		fputc('}', f);
	}
	fputs(",\"maps\":[", f);
	mi = 0;
	bpf_object__for_each_map(map, obj) {
		enum bpf_map_type t = bpf_map__type(map);
		const char *ts = libbpf_bpf_map_type_str(t);
		if (mi)
			fputc(',', f);
		fputs("{\"name\":", f);
		json_str(f, bpf_map__name(map));
		fputs(",\"type\":", f);
		json_str(f, ts ? ts : "unknown");
		fprintf(f, ",\"key_size\":%u,\"value_size\":%u,\"max_entries\":%u",
			bpf_map__key_size(map), bpf_map__value_size(map), bpf_map__max_entries(map));
		if (t == BPF_MAP_TYPE_RINGBUF || t == BPF_MAP_TYPE_PERF_EVENT_ARRAY) {
			fputs(",\"records\":[", f);
			for (size_t r = 0; r < recs[mi].n; r++) {
				if (r)
					fputc(',', f);
				fprintf(f, "\"%s\"", recs[mi].hex[r]);
			}
			fputc(']', f);
		} else {
			dump_entries(f, map, ncpus);
		}
		fputc('}', f);
		mi++;
	}
	fputc(']', f);
	dump_globals(f, obj);
	fputs(",\"command\":", f);
	if (!cmd) {
		fputs("null", f);
	} else {
		fputs("{\"argv\":[", f);
		for (char **a = cmd; *a; a++) {
			if (a != cmd)
				fputc(',', f);
			json_str(f, *a);
		}
		fprintf(f, "],\"pid\":%d", (int)child);
		if (WIFEXITED(status))
			fprintf(f, ",\"exit_code\":%d,\"signal\":null", WEXITSTATUS(status));
		else
			fprintf(f, ",\"exit_code\":null,\"signal\":%d", WTERMSIG(status));
		fprintf(f, ",\"timed_out\":%s,\"stdout\":", timed_out ? "true" : "false");
		// Read back what the command printed.
		size_t cap = 4096, len = 0;
		char *text = malloc(cap);
		rewind(out);
		size_t got;
		while (text && (got = fread(text + len, 1, cap - len - 1, out)) > 0) {
			len += got;
			if (len + 1 == cap) {
				char *p = realloc(text, cap *= 2);
				if (!p)
					break;
				text = p;
			}
		}
		if (text) {
			text[len] = '\0';
			json_str(f, text);
		} else {
			fputs("\"\"", f);
		}
		free(text);
		fclose(out);
		fputc('}', f);
	}
	fputs("}\n", f);
	fflush(f);
	ring_buffer__free(rb);
	for (int i = 0; i < npb; i++)
		perf_buffer__free(pbs[i]);
	bpf_object__close(beside);
	bpf_object__close(obj);
	return 0;
}
